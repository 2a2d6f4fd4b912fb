import type { KubeObject } from '../../api/index.ts';
import { isConflict } from '../../client/index.ts';
import type { SyncContext } from './context.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { syncRolloutStatus } from './progress.ts';
import {
  activeOf,
  availableReplicas,
  byCreation,
  deploymentComplete,
  maxUnavailable,
  newRSNewReplicas,
  specReplicas,
} from './replica-sets.ts';
import { cleanupDeployment, scaleReplicaSetAndRecordEvent } from './scale.ts';
import { deploymentSpec, deploymentStatus, replicasOf, rsStatus } from './types.ts';

// rolling.go: one step of a rolling update per sync. Scale the new ReplicaSet up as far
// as maxSurge allows; if nothing grew, scale old ReplicaSets down as far as maxUnavailable
// allows (their unhealthy replicas first); when neither moved and the rollout is complete,
// trim the history. Each step ends by reporting progress. Answers when to look again for
// a rollout that may be stuck.

export async function rolloutRolling(
  ctx: SyncContext,
  d: KubeObject,
  rsList: KubeObject[],
): Promise<number | undefined> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true);
  const allRSs = [...oldRSs, newRS!];
  if (await reconcileNewReplicaSet(ctx, allRSs, newRS!, d)) {
    return syncRolloutStatus(ctx, allRSs, newRS, d);
  }
  if (await reconcileOldReplicaSets(ctx, allRSs, activeOf(oldRSs), newRS!, d)) {
    return syncRolloutStatus(ctx, allRSs, newRS, d);
  }
  if (deploymentComplete(d, deploymentStatus(d))) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRS, d);
}

async function reconcileNewReplicaSet(
  ctx: SyncContext,
  allRSs: KubeObject[],
  newRS: KubeObject,
  d: KubeObject,
): Promise<boolean> {
  const { replicas } = deploymentSpec(d);
  if (replicasOf(newRS) === replicas) return false;
  if (replicasOf(newRS) > replicas) {
    return (await scaleReplicaSetAndRecordEvent(ctx, newRS, replicas, d)).scaled;
  }
  const size = newRSNewReplicas(d, allRSs, newRS);
  return (await scaleReplicaSetAndRecordEvent(ctx, newRS, size, d)).scaled;
}

/**
 * reconcileOldReplicaSets: at most allPods - minAvailable - (new pods not yet available)
 * old replicas go, so that unavailable new pods never let old ones go faster. Failures
 * end the step without an error, as in Kubernetes; the next sync tries again.
 */
async function reconcileOldReplicaSets(
  ctx: SyncContext,
  allRSs: KubeObject[],
  oldRSs: KubeObject[],
  newRS: KubeObject,
  d: KubeObject,
): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = deploymentSpec(d).replicas - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - rsStatus(newRS).availableReplicas;
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  try {
    const cleaned = await cleanupUnhealthyReplicas(ctx, oldRSs, d, maxScaledDown);
    const scaledDown = await scaleDownOldReplicaSets(
      ctx,
      [...cleaned.oldRSs, newRS],
      cleaned.oldRSs,
      d,
    );
    return cleaned.count + scaledDown > 0;
  } catch (err) {
    // A conflict only means a stale cache; the next sync sees the newer ReplicaSet.
    if (!isConflict(err)) {
      ctx.log.warn({ err, deployment: d.metadata?.name }, 'scaling down old replica sets failed');
    }
    return false;
  }
}

/**
 * cleanupUnhealthyReplicas: scales old ReplicaSets down by their unavailable replicas,
 * oldest first, at most `maxCleanup` in all. The ReplicaSet controller deletes not-ready
 * pods first, so this never lowers availability.
 */
async function cleanupUnhealthyReplicas(
  ctx: SyncContext,
  oldRSs: KubeObject[],
  d: KubeObject,
  maxCleanup: number,
): Promise<{ oldRSs: KubeObject[]; count: number }> {
  oldRSs.sort(byCreation);
  let total = 0;
  for (const [i, rs] of oldRSs.entries()) {
    if (total >= maxCleanup) break;
    const size = replicasOf(rs);
    const available = rsStatus(rs).availableReplicas;
    if (size === 0 || size === available) continue;
    const count = Math.min(maxCleanup - total, size - available);
    const next = size - count;
    if (next > size) {
      throw new Error(
        `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata?.namespace}/${rs.metadata?.name} ${size} -> ${next}`,
      );
    }
    oldRSs[i] = (await scaleReplicaSetAndRecordEvent(ctx, rs, next, d)).rs;
    total += count;
  }
  return { oldRSs, count: total };
}

/**
 * scaleDownOldReplicaSetsForRollingUpdate: as many old replicas as there are available
 * replicas above minAvailable, oldest ReplicaSets first.
 */
async function scaleDownOldReplicaSets(
  ctx: SyncContext,
  allRSs: KubeObject[],
  oldRSs: KubeObject[],
  d: KubeObject,
): Promise<number> {
  const minAvailable = deploymentSpec(d).replicas - maxUnavailable(d);
  const available = availableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  oldRSs.sort(byCreation);
  let total = 0;
  const wanted = available - minAvailable;
  for (const rs of oldRSs) {
    if (total >= wanted) break;
    const size = replicasOf(rs);
    if (size === 0) continue;
    const count = Math.min(size, wanted - total);
    await scaleReplicaSetAndRecordEvent(ctx, rs, size - count, d);
    total += count;
  }
  return total;
}
