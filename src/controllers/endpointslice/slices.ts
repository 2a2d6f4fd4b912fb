import type { KubeObject } from '../../api/index.ts';
import type { ResourceRef } from '../../client/index.ts';
import {
  canonical,
  compare,
  findPort,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  LABEL_HEADLESS,
  podIPs,
  podReference,
  podSpec,
  serviceSpec,
  shouldSetHostname,
  type PodReference,
} from '../endpoints/index.ts';

// EndpointSlices as Kubernetes' endpointslice reconciler utilities build them: the
// endpoint of a pod, the ports a pod resolves, labels, and the identity of an endpoint.

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
const LABEL_ZONE = 'topology.kubernetes.io/zone';

export const SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  namespaced: true,
};
export const NODES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  namespaced: false,
};

export type AddressType = 'IPv4' | 'IPv6';

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef?: PodReference;
  nodeName?: string;
  zone?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

/**
 * getAddressTypesForService: the service's IP families; without them (an API server
 * that does not set them) the family of the cluster IP, or both for a headless service.
 */
export function addressTypesForService(service: KubeObject): AddressType[] {
  const spec = serviceSpec(service);
  const types = new Set<AddressType>();
  for (const family of spec.ipFamilies ?? []) {
    if (family === 'IPv4' || family === 'IPv6') types.add(family);
  }
  if (types.size > 0) return [...types];
  if (isServiceIPSet(service)) return [isIPv6(spec.clusterIP!) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** getEndpointPorts: every service port the pod resolves (a headless service may have none). */
export function endpointPorts(service: KubeObject, pod: KubeObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const servicePort of serviceSpec(service).ports ?? []) {
    const port = findPort(pod, servicePort);
    if (port === undefined) continue;
    out.push({
      name: servicePort.name ?? '',
      port,
      protocol: servicePort.protocol ?? 'TCP',
      ...(servicePort.appProtocol !== undefined ? { appProtocol: servicePort.appProtocol } : {}),
    });
  }
  return out;
}

/** NewPortMapKey: the same for the same set of ports in any order. */
export function portMapKey(ports: EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => canonical(p)).sort());
}

/**
 * podToEndpoint. Serving: the pod is Ready, terminating or not. Ready: serving and not
 * terminating, or always when the service publishes not-ready addresses.
 */
export function podToEndpoint(
  pod: KubeObject,
  node: KubeObject | undefined,
  service: KubeObject,
  addressType: AddressType,
): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = !!serviceSpec(service).publishNotReadyAddresses || (serving && !terminating);
  const { nodeName, hostname } = podSpec(pod);
  const zone = node?.metadata?.labels?.[LABEL_ZONE];
  return {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
    ...(hostname && shouldSetHostname(pod, service) ? { hostname } : {}),
    targetRef: podReference(pod),
    ...(nodeName ? { nodeName } : {}),
    ...(zone ? { zone } : {}),
  };
}

/** hashEndpoint: what makes two endpoints the same one (the rest may change in place). */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([
    [...ep.addresses].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace ?? '',
    ep.targetRef?.name ?? '',
  ]);
}

/** A slice owned by the service, as the reconciler creates it before filling it. */
export function newEndpointSlice(
  service: KubeObject,
  ports: EndpointPort[],
  addressType: AddressType,
): EndpointSlice {
  const { name = '', namespace = '', uid = '' } = service.metadata ?? {};
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      namespace,
      labels: sliceLabels(service),
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/**
 * setEndpointSliceLabels: the service's labels, without the reserved ones it may carry,
 * plus the service name, the manager, and the headless label when it has no cluster IP.
 */
export function sliceLabels(service: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata?.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== LABEL_HEADLESS) labels[k] = v;
  }
  if (!isServiceIPSet(service)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = service.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return labels;
}

export function ownedBy(slice: KubeObject, service: KubeObject): boolean {
  return (slice.metadata?.ownerReferences ?? []).some(
    (o) => o.uid === service.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1',
  );
}

export function managedByController(slice: KubeObject): boolean {
  return slice.metadata?.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME;
}

/** The key of the service a slice belongs to, by its label; undefined without one. */
export function serviceKeyOf(slice: KubeObject): string | undefined {
  const name = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

export function byName(a: KubeObject, b: KubeObject): number {
  return compare(a.metadata?.name ?? '', b.metadata?.name ?? '');
}
