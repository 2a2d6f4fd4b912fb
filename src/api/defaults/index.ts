// Defaulting of the built-in kinds as kube-apiserver 1.32 applies it after decoding, with
// the create-time normalisations of the registry strategies and the defaults that its
// standard admission plugins add to pods (ServiceAccount, Priority, DefaultTolerationSeconds).

import type { KubeObject } from '../types.ts';
import {
  defaultDaemonSet,
  defaultDeployment,
  defaultReplicaSet,
  defaultStatefulSet,
} from './apps.ts';
import { defaultCronJob, defaultJob } from './batch.ts';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultPodTemplate,
  defaultReplicationController,
  defaultResourceQuota,
  defaultSecret,
  defaultService,
} from './core.ts';
import {
  defaultEndpointSlice,
  defaultHorizontalPodAutoscaler,
  defaultIngressClass,
  defaultNetworkPolicy,
  defaultPriorityClass,
  defaultRoleBinding,
  defaultStorageClass,
} from './other.ts';
import { defaultPod } from './pod.ts';
import type { Obj } from './util.ts';

type Defaulter = (obj: Obj, version: string) => void;

const DEFAULTERS: Record<string, Defaulter> = {
  '/Pod': defaultPod,
  '/PodTemplate': defaultPodTemplate,
  '/ReplicationController': defaultReplicationController,
  '/Service': defaultService,
  '/Endpoints': defaultEndpoints,
  '/Namespace': defaultNamespace,
  '/Secret': defaultSecret,
  '/Node': defaultNode,
  '/PersistentVolume': defaultPersistentVolume,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  '/LimitRange': defaultLimitRange,
  '/ResourceQuota': defaultResourceQuota,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/DaemonSet': defaultDaemonSet,
  'apps/StatefulSet': defaultStatefulSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'networking.k8s.io/NetworkPolicy': defaultNetworkPolicy,
  'networking.k8s.io/IngressClass': defaultIngressClass,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'rbac.authorization.k8s.io/RoleBinding': defaultRoleBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultRoleBinding,
  'storage.k8s.io/StorageClass': defaultStorageClass,
  'scheduling.k8s.io/PriorityClass': defaultPriorityClass,
  'autoscaling/HorizontalPodAutoscaler': defaultHorizontalPodAutoscaler,
};

/**
 * Fills in defaults in place. Idempotent: applying it to its own output changes nothing.
 * A Job's selector is generated only once `metadata.uid` is set.
 */
export function applyDefaults(group: string, version: string, kind: string, obj: KubeObject): void {
  DEFAULTERS[`${group}/${kind}`]?.(obj as Obj, version);
}

export { defaultPullPolicy, imageTag, podQOSClass } from './pod.ts';
