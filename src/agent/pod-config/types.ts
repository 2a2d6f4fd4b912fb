import type { KubeObject } from '../../api/index.ts';

// The parts of core/v1 objects this folder reads. Objects arrive as JSON from informer
// caches (`KubeObject`) and are only ever read here, never mutated.

export type ResourceList = Record<string, string | number>;

export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string | number;
}

export interface KeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
}

export interface ContainerEnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
}

export interface Container {
  name: string;
  env?: ContainerEnvVar[];
  envFrom?: EnvFromSource[];
  resources?: { limits?: ResourceList; requests?: ResourceList };
  volumeMounts?: VolumeMount[];
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface ObjectVolumeSource {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}

export interface VolumeProjection {
  configMap?: ObjectVolumeSource;
  secret?: ObjectVolumeSource;
  downwardAPI?: { items?: DownwardAPIVolumeFile[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  clusterTrustBundle?: unknown;
  [other: string]: unknown;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type?: string };
  configMap?: ObjectVolumeSource & { defaultMode?: number };
  secret?: Omit<ObjectVolumeSource, 'name'> & { secretName?: string; defaultMode?: number };
  downwardAPI?: { items?: DownwardAPIVolumeFile[]; defaultMode?: number };
  projected?: { sources?: VolumeProjection[]; defaultMode?: number };
  [other: string]: unknown;
}

export interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  enableServiceLinks?: boolean;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  /** Its fsGroup owns the pod's volumes (ownership.ts). */
  securityContext?: { fsGroup?: number };
}

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}

/** A pod as this folder reads it. */
export type Pod = KubeObject & { spec?: PodSpec };

/**
 * What the agent provides from its informer caches and node status. Lookups are
 * synchronous reads of caches; `undefined` means "not found" (kubelet's NotFound).
 */
export interface ConfigSources {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
  /**
   * The services a pod in `namespace` may see: those of `namespace` and the `kubernetes`
   * service of `default`. Extra services are ignored (filtered as the kubelet does).
   */
  services(namespace: string): KubeObject[];
  /** The node's name; `spec.nodeName` is read from the pod, this is its fallback. */
  nodeName: string;
  /** The node's primary IP (`status.hostIP`). */
  hostIP: string;
  /** All node IPs, primary first (`status.hostIPs`); defaults to `[hostIP]`. */
  hostIPs?: string[];
  /** The pod's IPs from its sandbox, primary first; empty before the sandbox has one. */
  podIPs: string[];
  /**
   * Where pods reach the API server when the `kubernetes` service of `default` is not in
   * `services()` (not yet synced, or no service controller): a service with this cluster
   * IP and one port named `https` is assumed. Absent: no KUBERNETES_* variables then.
   * With `replacesService`, it is used even when the service exists: the node cannot
   * route cluster IPs (no service proxy, or one without root outside loopback).
   */
  masterService?: { host: string; port: number; replacesService?: boolean };
  /** The node's `status.allocatable`: limits left unset default to it (downward API). */
  nodeAllocatable: ResourceList;
  /**
   * A token for the pod's service account (TokenRequest bound to the pod). Required only
   * by projected `serviceAccountToken` sources. May return a cached token: volumes are
   * rewritten only when the content changes.
   */
  serviceAccountToken?(
    pod: KubeObject,
    audience: string | undefined,
    expirationSeconds: number,
  ): Promise<string>;
}

/**
 * A failure the user can act on, with the kubelet's message. From `resolveEnvironment`
 * and `mountsFor` the agent reports it as `CreateContainerConfigError`; from volume
 * set-up as a `FailedMount` event (`MountVolume.SetUp failed for volume "<volume>" : …`).
 */
export class ConfigError extends Error {
  /** The volume whose set-up failed, when it came from one. */
  volume?: string;
  constructor(message: string, options?: ErrorOptions & { volume?: string }) {
    super(message, options);
    this.name = 'ConfigError';
    this.volume = options?.volume;
  }
}

export interface EnvVar {
  name: string;
  value: string;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated in [a, b]. */
export function aggregateMessage(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
