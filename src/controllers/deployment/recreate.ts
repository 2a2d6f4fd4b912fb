import type { KubeObject } from '../../api/index.ts';
import type { SyncContext } from './context.ts';
import { getAllReplicaSetsAndSyncRevision } from './new-replica-set.ts';
import { syncRolloutStatus } from './progress.ts';
import { activeOf, actualReplicas, deploymentComplete } from './replica-sets.ts';
import { cleanupDeployment, scaleReplicaSetAndRecordEvent } from './scale.ts';
import { deploymentSpec, deploymentStatus } from './types.ts';

// recreate.go: every old ReplicaSet to zero first, then — once no pod of theirs is left
// running, terminating ones included — the new ReplicaSet (created only now) to full size.

/** Pods by the UID of the ReplicaSet controlling them (getPodMapForDeployment). */
export type PodMap = Map<string, KubeObject[]>;

export async function rolloutRecreate(
  ctx: SyncContext,
  d: KubeObject,
  rsList: KubeObject[],
  podMap: PodMap,
): Promise<number | undefined> {
  // No new ReplicaSet yet: creating it now would scale it up before the old ones are down.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, false);
  let allRSs = [...oldRSs, newRS];

  let scaledDown = false;
  for (const rs of activeOf(oldRSs)) {
    if ((await scaleReplicaSetAndRecordEvent(ctx, rs, 0, d)).scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(ctx, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(ctx, allRSs, newRS, d);

  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, d, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  await scaleReplicaSetAndRecordEvent(ctx, newRS!, deploymentSpec(d).replicas, d);
  if (deploymentComplete(d, deploymentStatus(d))) await cleanupDeployment(ctx, oldRSs, d);
  return syncRolloutStatus(ctx, allRSs, newRS, d);
}

/**
 * oldPodsRunning: an old ReplicaSet still counts replicas, or one of its pods is in any
 * phase but Succeeded or Failed (Unknown included: it may be running).
 */
export function oldPodsRunning(
  newRS: KubeObject | undefined,
  oldRSs: KubeObject[],
  podMap: PodMap,
): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const pod of pods) {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
  }
  return false;
}
