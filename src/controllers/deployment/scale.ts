import type { KubeObject } from '../../api/index.ts';
import { isNotFound } from '../../client/index.ts';
import {
  intAnnotation,
  replicasAnnotationsFor,
  replicasAnnotationsNeedUpdate,
  setReplicasAnnotations,
} from './annotations.ts';
import { updateReplicaSet, type SyncContext } from './context.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import {
  activeOf,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  findActiveOrLatest,
  isSaturated,
  maxSurge,
  specReplicas,
} from './replica-sets.ts';
import { syncDeploymentStatus } from './status.ts';
import {
  deploymentSpec,
  deploymentStatus,
  DESIRED_REPLICAS,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  MAX_REPLICAS,
  replicasOf,
  REPLICASETS,
  rsStatus,
} from './types.ts';

// sync.go: scaling events and paused Deployments (sync, scale, isScalingEvent), the one
// place ReplicaSets are resized (scaleReplicaSet, with its ScalingReplicaSet event), and
// the revision history clean-up.

/** syncStatusOnly: a Deployment being deleted only reports. */
export async function syncStatusOnly(ctx: SyncContext, d: KubeObject, rsList: KubeObject[]) {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
}

/** sync: reconciles a scaling event or a paused Deployment; never starts a rollout. */
export async function sync(ctx: SyncContext, d: KubeObject, rsList: KubeObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  await scale(ctx, d, newRS, oldRSs);
  if (deploymentSpec(d).paused) await cleanupDeployment(ctx, oldRSs, d);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS, d);
}

/** isScalingEvent: an active ReplicaSet was sized for another spec.replicas. */
export async function isScalingEvent(
  ctx: SyncContext,
  d: KubeObject,
  rsList: KubeObject[],
): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  const { replicas } = deploymentSpec(d);
  return activeOf([...oldRSs, newRS]).some((rs) => {
    const desired = intAnnotation(rs, DESIRED_REPLICAS);
    return desired !== undefined && desired !== replicas;
  });
}

/**
 * scale: one active ReplicaSet takes all replicas; a saturated new one leaves the old at
 * zero; otherwise, during a rolling update, the difference between what may run
 * (replicas + maxSurge) and what runs is spread over the active ReplicaSets in proportion
 * to their size, the leftover going to the largest (so a rollout half done stays half done).
 */
export async function scale(
  ctx: SyncContext,
  d: KubeObject,
  newRS: KubeObject | undefined,
  oldRSs: KubeObject[],
): Promise<void> {
  const { replicas } = deploymentSpec(d);
  const single = findActiveOrLatest(newRS, oldRSs);
  if (single) {
    if (replicasOf(single) === replicas) return;
    await scaleReplicaSetAndRecordEvent(ctx, single, replicas, d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of activeOf(oldRSs)) await scaleReplicaSetAndRecordEvent(ctx, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const allRSs = activeOf([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(allRSs);
  let operation = '';
  if (toAdd > 0) {
    allRSs.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    allRSs.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of allRSs) {
    const name = rs.metadata?.name ?? '';
    if (toAdd === 0) {
      sizes.set(name, replicasOf(rs));
      continue;
    }
    const proportion = getProportion(rs, d, toAdd, added);
    sizes.set(name, replicasOf(rs) + proportion);
    added += proportion;
  }
  for (const [i, rs] of allRSs.entries()) {
    const name = rs.metadata?.name ?? '';
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
    await scaleReplicaSet(ctx, rs, sizes.get(name)!, d, operation);
  }
}

/**
 * GetProportion: how many of `toAdd` (less those already `added`) this ReplicaSet takes,
 * in proportion to the share of max-replicas it had, never more than is left.
 */
export function getProportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number) {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: KubeObject, d: KubeObject): number {
  const { replicas } = deploymentSpec(d);
  if (replicas === 0) return -replicasOf(rs);
  const deploymentReplicas = replicas + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS) ?? deploymentStatus(d).replicas ?? 0;
  // Never reached with a zero size (Kubernetes would divide by zero here).
  if (annotated === 0) return 0;
  return roundHalfAwayFromZero((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

/** Go's math.Round. */
function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** scaleReplicaSetAndRecordEvent: resizes `rs` to `size` unless it has that size already. */
export async function scaleReplicaSetAndRecordEvent(
  ctx: SyncContext,
  rs: KubeObject,
  size: number,
  d: KubeObject,
): Promise<{ scaled: boolean; rs: KubeObject }> {
  if (replicasOf(rs) === size) return { scaled: false, rs };
  return scaleReplicaSet(ctx, rs, size, d, replicasOf(rs) < size ? 'up' : 'down');
}

/**
 * scaleReplicaSet: writes the size and the replicas annotations when either is off, and
 * records `Scaled <up|down> replica set <rs> to <size> from <old>` when the size moved.
 */
export async function scaleReplicaSet(
  ctx: SyncContext,
  rs: KubeObject,
  size: number,
  d: KubeObject,
  operation: string,
): Promise<{ scaled: boolean; rs: KubeObject }> {
  const { desired, max } = replicasAnnotationsFor(d);
  const sizeNeedsUpdate = replicasOf(rs) !== size;
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, desired, max)) {
    return { scaled: false, rs };
  }
  const oldSize = replicasOf(rs);
  // The cached ReplicaSet is shared: change a copy.
  const copy = structuredClone(rs);
  (copy.spec as { replicas: number }).replicas = size;
  setReplicasAnnotations(copy, desired, max);
  const updated = await updateReplicaSet(ctx, copy);
  if (sizeNeedsUpdate) {
    const msg = `Scaled ${operation} replica set ${updated.metadata?.name} to ${size} from ${oldSize}`;
    ctx.events.event(d, 'Normal', 'ScalingReplicaSet', msg);
  }
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/**
 * cleanupDeployment: keeps revisionHistoryLimit old ReplicaSets, deleting the oldest
 * revisions beyond it, but only those with no replicas, wanted or running, whose latest
 * spec their controller has seen.
 */
export async function cleanupDeployment(
  ctx: SyncContext,
  oldRSs: KubeObject[],
  d: KubeObject,
): Promise<void> {
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - deploymentSpec(d).revisionHistoryLimit!;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    const status = rsStatus(rs);
    const unobserved = (rs.metadata?.generation ?? 0) > status.observedGeneration;
    if (status.replicas !== 0 || replicasOf(rs) !== 0 || unobserved) continue;
    const { namespace = '', name = '' } = rs.metadata ?? {};
    try {
      await ctx.client.delete(REPLICASETS, namespace, name);
    } catch (err) {
      // One failure ends the pass rather than pressing on against a struggling server.
      if (!isNotFound(err)) throw err;
    }
  }
}
