import type {
  V1Container,
  V1ContainerStatus,
  V1EphemeralContainer,
  V1Node,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
  V1Probe,
} from 'kubernetes-client-node-v1.32';

// The agent's view of Kubernetes objects: the client library's models as they travel on
// the wire. The models type timestamps as Date, but informers hand over parsed JSON in
// which they are RFC 3339 strings; `Wire` maps one to the other.

type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type Pod = Wire<V1Pod>;
export type PodStatus = Wire<V1PodStatus>;
export type PodCondition = Wire<V1PodCondition>;
export type Container = Wire<V1Container>;
export type EphemeralContainer = Wire<V1EphemeralContainer>;
export type ContainerStatusV1 = Wire<V1ContainerStatus>;
export type Probe = Wire<V1Probe>;
export type Node = Wire<V1Node>;
