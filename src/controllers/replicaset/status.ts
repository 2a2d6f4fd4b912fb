import { rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { matchesLabels } from '../../api/selectors/index.ts';
import type { SyncContext } from './context.ts';
import { specOf } from './kinds.ts';
import { isPodAvailable, isPodReady } from './pods.ts';

// The status both kinds report (replica_set_utils.go: calculateStatus, the ReplicaFailure
// condition helpers, and the no-op check of updateReplicaSetStatus). Counts are zero-valued
// fields that Kubernetes omits from JSON, except `replicas`.

export const REPLICA_FAILURE = 'ReplicaFailure';

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
  [field: string]: unknown;
}

export function currentStatus(owner: KubeObject): ReplicaSetStatus {
  return { replicas: 0, ...((owner.status ?? {}) as Partial<ReplicaSetStatus>) };
}

/**
 * The status `active` (the claimed, active pods) amounts to. A failure to create or
 * delete pods sets ReplicaFailure (FailedCreate or FailedDelete, with the error) unless
 * one is already there; a sync without failure removes it. observedGeneration is left
 * as it was: it is set when the status is written.
 */
export function calculateStatus(
  owner: KubeObject,
  active: KubeObject[],
  manageError: Error | undefined,
  now: number,
): ReplicaSetStatus {
  const spec = specOf(owner);
  const old = currentStatus(owner);
  const templateLabels = Object.entries(spec.template.metadata?.labels ?? {}).map(
    ([key, value]) => ({ key, operator: '=' as const, values: [value] }),
  );
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of active) {
    if (matchesLabels(templateLabels, pod.metadata?.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, spec.minReadySeconds, now)) available++;
    }
  }
  let conditions = old.conditions;
  const failure = conditions?.find((c) => c.type === REPLICA_FAILURE);
  if (manageError && !failure) {
    const diff = active.length - spec.replicas;
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions = [
      ...(conditions ?? []),
      {
        type: REPLICA_FAILURE,
        status: 'True',
        lastTransitionTime: rfc3339(now),
        reason,
        message: manageError.message,
      },
    ];
  } else if (!manageError && failure) {
    conditions = conditions!.filter((c) => c.type !== REPLICA_FAILURE);
  }
  const status: ReplicaSetStatus = { ...old, replicas: active.length };
  setCount(status, 'fullyLabeledReplicas', fullyLabeled);
  setCount(status, 'readyReplicas', ready);
  setCount(status, 'availableReplicas', available);
  if (conditions && conditions.length > 0) status.conditions = conditions;
  else delete status.conditions;
  return status;
}

function setCount(status: ReplicaSetStatus, field: keyof ReplicaSetStatus, n: number): void {
  if (n === 0) delete status[field];
  else status[field] = n;
}

/** updateReplicaSetStatus's steady state: nothing to write. */
export function statusUnchanged(owner: KubeObject, next: ReplicaSetStatus): boolean {
  const old = currentStatus(owner);
  const n = (v: number | undefined) => v ?? 0;
  return (
    n(old.replicas) === n(next.replicas) &&
    n(old.fullyLabeledReplicas) === n(next.fullyLabeledReplicas) &&
    n(old.readyReplicas) === n(next.readyReplicas) &&
    n(old.availableReplicas) === n(next.availableReplicas) &&
    n(owner.metadata?.generation) === n(old.observedGeneration) &&
    JSON.stringify(old.conditions ?? []) === JSON.stringify(next.conditions ?? [])
  );
}

/** One retry of a failed status write, after reading the owner again. */
const STATUS_UPDATE_RETRIES = 1;

/**
 * updateReplicaSetStatus: writes `status` with observedGeneration through the status
 * subresource, unless nothing changed; on failure reads the owner and tries once more.
 */
export async function updateStatus(
  ctx: SyncContext,
  owner: KubeObject,
  status: ReplicaSetStatus,
): Promise<void> {
  if (statusUnchanged(owner, status)) return;
  const { namespace = '', name = '', generation } = owner.metadata ?? {};
  const next: ReplicaSetStatus = { ...status };
  if (generation !== undefined) next.observedGeneration = generation;
  let current = owner;
  for (let attempt = 0; ; attempt++) {
    // The cached object is shared: write a copy.
    const body = { ...structuredClone(current), status: structuredClone(next) };
    try {
      await ctx.client.update(ctx.info.ref, namespace, name, body, { subresource: 'status' });
      return;
    } catch (err) {
      if (attempt >= STATUS_UPDATE_RETRIES) throw err;
    }
    current = await ctx.client.get(ctx.info.ref, namespace, name);
  }
}
