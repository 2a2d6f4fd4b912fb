import type { KubeObject } from '../../api/index.ts';
import type { ResourceRef } from '../../client/index.ts';

// The parts of Services and Pods the endpoint controllers read, and the API names they
// write under. Shared with the EndpointSlice controller through index.ts.

export const SERVICES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'services',
  namespaced: true,
};
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const ENDPOINTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'endpoints',
  namespaced: true,
};

/** v1.IsHeadlessService: set on Endpoints and EndpointSlices of a service without a cluster IP. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** v1.EndpointsLastChangeTriggerTime. */
export const ANNOTATION_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  /** A number, or the name of a container port; absent means `port`. */
  targetPort?: number | string;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: string;
  selector?: Record<string, string> | null;
  clusterIP?: string;
  ipFamilies?: string[];
  ports?: ServicePort[];
  publishNotReadyAddresses?: boolean;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface PodSpec {
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  containers?: { ports?: ContainerPort[] }[];
  initContainers?: { restartPolicy?: string; ports?: ContainerPort[] }[];
}

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  conditions?: PodCondition[];
}

/** What an Endpoints address and an EndpointSlice endpoint point at. */
export interface PodReference {
  kind: 'Pod';
  namespace: string;
  name: string;
  uid: string;
}

export function serviceSpec(svc: KubeObject): ServiceSpec {
  return (svc.spec ?? {}) as ServiceSpec;
}

export function podSpec(pod: KubeObject): PodSpec {
  return (pod.spec ?? {}) as PodSpec;
}

export function podStatus(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}
