import type { KubeObject } from '../../api/index.ts';
import { isPodActive, isPodReady, nodeNameOf, readySince, statusOf, timeOf } from './pods.ts';

// Which pods go first when scaling down: getPodsToDelete of replica_set.go, ordered by
// controller.ActivePodsWithRanks with the PodDeletionCost and LogarithmicScaleDown
// features on (their default since 1.22). Earlier rules win:
//
//   1. not yet scheduled before scheduled
//   2. Pending before Unknown before Running
//   3. not ready before ready
//   4. lower controller.kubernetes.io/pod-deletion-cost first
//   5. more related active pods on the same node first (the rank)
//   6. both ready: ready for a shorter time first
//   7. higher container restart count first
//   8. created more recently first
//
// In 6 and 8 times are compared by the binary logarithm of their age (in nanoseconds), so
// pods of about the same age tie and are ordered by UID, a pseudo-random choice.

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The first `diff` of `active` in deletion order. `related` are the pods of every owner
 * sharing this owner's controller (a Deployment's ReplicaSets), which the rank counts.
 */
export function podsToDelete(
  active: KubeObject[],
  related: KubeObject[],
  diff: number,
  now: number,
): KubeObject[] {
  const pods = [...active];
  if (diff < pods.length) {
    const onNode = new Map<string, number>();
    for (const pod of related) {
      if (isPodActive(pod)) onNode.set(nodeNameOf(pod), (onNode.get(nodeNameOf(pod)) ?? 0) + 1);
    }
    const rank = new Map(pods.map((pod) => [pod, onNode.get(nodeNameOf(pod)) ?? 0]));
    pods.sort((a, b) => compareForDeletion(a, b, rank.get(a)!, rank.get(b)!, now));
  }
  return pods.slice(0, diff);
}

/** Negative when `a` should be deleted before `b` (ActivePodsWithRanks.Less as a comparator). */
export function compareForDeletion(
  a: KubeObject,
  b: KubeObject,
  rankA: number,
  rankB: number,
  now: number,
): number {
  if (lessForDeletion(a, b, rankA, rankB, now)) return -1;
  if (lessForDeletion(b, a, rankB, rankA, now)) return 1;
  return 0;
}

function lessForDeletion(a: KubeObject, b: KubeObject, rankA: number, rankB: number, now: number) {
  const nodeA = nodeNameOf(a);
  const nodeB = nodeNameOf(b);
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '';
  const phaseA = PHASE_ORDINAL[statusOf(a).phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[statusOf(b).phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA < phaseB;
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return !readyA;
  const costA = deletionCost(a);
  const costB = deletionCost(b);
  if (costA !== costB) return costA < costB;
  if (rankA !== rankB) return rankA > rankB;
  if (readyA && readyB) {
    const sinceA = readySince(a);
    const sinceB = readySince(b);
    if (sinceA !== sinceB) return newerFirst(a, b, sinceA, sinceB, now);
  }
  const restartsA = maxContainerRestarts(a);
  const restartsB = maxContainerRestarts(b);
  if (restartsA !== restartsB) return restartsA > restartsB;
  const createdA = timeOf(a.metadata?.creationTimestamp);
  const createdB = timeOf(b.metadata?.creationTimestamp);
  if (createdA !== createdB) return newerFirst(a, b, createdA, createdB, now);
  return false;
}

/** Zero times first, then the later time; by logarithmic age, ties broken by UID. */
function newerFirst(a: KubeObject, b: KubeObject, tA: number, tB: number, now: number): boolean {
  if (tA === 0 || tB === 0) return tA === 0;
  const diff = logarithmicRank(now - tA) - logarithmicRank(now - tB);
  if (diff === 0) return (a.metadata?.uid ?? '') < (b.metadata?.uid ?? '');
  return diff < 0;
}

/** int64(math.Log2(age in ns)), or -1 for an age that is not positive. */
function logarithmicRank(ageMs: number): number {
  return ageMs > 0 ? Math.floor(Math.log2(ageMs * 1e6)) : -1;
}

function maxContainerRestarts(pod: KubeObject): number {
  let max = 0;
  for (const c of statusOf(pod).containerStatuses ?? []) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

/**
 * GetDeletionCostFromPodAnnotations: an int32 without a plus sign or leading zeros;
 * anything else counts as 0.
 */
export function deletionCost(pod: KubeObject): number {
  const value = pod.metadata?.annotations?.[POD_DELETION_COST];
  if (value === undefined || !/^(0|-\d+|[1-9]\d*)$/.test(value)) return 0;
  const n = Number(value);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}
