import type { KubeObject, OwnerReference } from '../../api/index.ts';
import type { LabelSelectorSpec } from '../../api/selectors/index.ts';
import type { ResourceRef } from '../../client/index.ts';

// The shapes the controller reads off Deployments and ReplicaSets (apps/v1), with the
// defaults the API server applies, and the names Kubernetes gives to annotations and
// condition reasons (pkg/controller/deployment/util/deployment_util.go).

export const DEPLOYMENTS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  namespaced: true,
};
export const REPLICASETS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
  namespaced: true,
};
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

/** apps.DefaultDeploymentUniqueLabelKey. */
export const HASH_LABEL = 'pod-template-hash';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** apps.DeprecatedRollbackTo: the round-tripped extensions/v1beta1 rollbackTo field. */
export const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Deployment annotations never copied to its ReplicaSets (annotationsToSkip). */
export const ANNOTATIONS_TO_SKIP = new Set([
  LAST_APPLIED,
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  ROLLBACK_TO,
]);

// Condition types and reasons.
export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const REPLICA_FAILURE = 'ReplicaFailure';
export const Reason = {
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  FailedRSCreate: 'ReplicaSetCreateError',
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewRS: 'FoundNewReplicaSet',
  NewRSAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** Go's math.MaxInt32: a progressDeadlineSeconds or revisionHistoryLimit meaning "none". */
export const MAX_INT32 = 2147483647;

export type IntOrString = number | string;

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface DeploymentSpec {
  replicas: number;
  selector?: LabelSelectorSpec | null;
  template: PodTemplate;
  strategy: {
    type: string;
    rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } | null;
  };
  minReadySeconds: number;
  revisionHistoryLimit?: number;
  paused: boolean;
  progressDeadlineSeconds?: number;
}

export interface Condition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** DeploymentStatus; counts are omitted when zero, as Kubernetes serialises them. */
export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

export interface ReplicaSetStatus {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
  conditions: Condition[];
}

/** The spec of a Deployment, defaulted as the API server would have. */
export function deploymentSpec(d: KubeObject): DeploymentSpec {
  const spec = (d.spec ?? {}) as Partial<DeploymentSpec>;
  return {
    replicas: spec.replicas ?? 1,
    selector: spec.selector,
    template: spec.template ?? {},
    strategy: spec.strategy ?? { type: 'RollingUpdate' },
    minReadySeconds: spec.minReadySeconds ?? 0,
    revisionHistoryLimit: spec.revisionHistoryLimit,
    paused: spec.paused ?? false,
    progressDeadlineSeconds: spec.progressDeadlineSeconds,
  };
}

/** The Deployment's status object itself (callers own `d`: a copy, never the cache's). */
export function deploymentStatus(d: KubeObject): DeploymentStatus {
  if (!d.status || typeof d.status !== 'object') d.status = {};
  return d.status as DeploymentStatus;
}

/** spec.replicas of a ReplicaSet (defaulted to 1). */
export function replicasOf(rs: KubeObject): number {
  return (rs.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

export function rsStatus(rs: KubeObject): ReplicaSetStatus {
  const s = (rs.status ?? {}) as Partial<ReplicaSetStatus>;
  return {
    replicas: s.replicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    observedGeneration: s.observedGeneration ?? 0,
    conditions: s.conditions ?? [],
  };
}

export function rsTemplate(rs: KubeObject): PodTemplate {
  return ((rs.spec as { template?: PodTemplate } | undefined)?.template ?? {}) as PodTemplate;
}

export function annotationsOf(obj: KubeObject): Record<string, string> {
  return obj.metadata?.annotations ?? {};
}

export function isRollingUpdate(d: KubeObject): boolean {
  return deploymentSpec(d).strategy.type === 'RollingUpdate';
}

/** HasProgressDeadline: set, and not MaxInt32. */
export function hasProgressDeadline(d: KubeObject): boolean {
  const s = deploymentSpec(d).progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== MAX_INT32;
}

/** HasRevisionHistoryLimit: set, and not MaxInt32. */
export function hasRevisionHistoryLimit(d: KubeObject): boolean {
  const l = deploymentSpec(d).revisionHistoryLimit;
  return l !== undefined && l !== null && l !== MAX_INT32;
}

/** metav1.NewControllerRef to a Deployment. */
export function controllerRefTo(d: KubeObject): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: d.metadata?.name ?? '',
    uid: d.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
