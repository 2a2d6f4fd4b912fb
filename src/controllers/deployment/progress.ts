import type { KubeObject } from '../../api/index.ts';
import {
  fromReplicaSetCondition,
  getCondition,
  newCondition,
  removeCondition,
  setCondition,
} from './conditions.ts';
import { updateDeploymentStatus, type SyncContext } from './context.ts';
import { deploymentComplete, deploymentProgressing } from './replica-sets.ts';
import { calculateStatus, sameStatus } from './status.ts';
import {
  deploymentSpec,
  deploymentStatus,
  hasProgressDeadline,
  PROGRESSING,
  Reason,
  REPLICA_FAILURE,
  rsStatus,
  type Condition,
  type DeploymentStatus,
} from './types.ts';

// progress.go and checkPausedConditions: the Progressing condition during a rollout —
// NewReplicaSetAvailable when complete, ReplicaSetUpdated while anything moves, and
// ProgressDeadlineExceeded once nothing moved for progressDeadlineSeconds — plus
// ReplicaFailure promoted from the ReplicaSets, and the re-check of a stuck rollout.

/**
 * syncRolloutStatus: writes the status when it changed. Otherwise answers how long until
 * the progress deadline of a rollout that shows no progress must be checked again
 * (requeueStuckDeployment), if it must.
 */
export async function syncRolloutStatus(
  ctx: SyncContext,
  allRSs: (KubeObject | undefined)[],
  newRS: KubeObject | undefined,
  d: KubeObject,
): Promise<number | undefined> {
  const now = ctx.clock.now();
  const next = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(next, PROGRESSING);

  const current = getCondition(deploymentStatus(d), PROGRESSING);
  const complete =
    (next.replicas ?? 0) === (next.updatedReplicas ?? 0) &&
    current?.reason === Reason.NewRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const name = d.metadata?.name;
    const subject = newRS ? `ReplicaSet "${newRS.metadata?.name}"` : `Deployment "${name}"`;
    if (deploymentComplete(d, next)) {
      const msg = `${subject} has successfully progressed.`;
      setCondition(next, newCondition(PROGRESSING, 'True', Reason.NewRSAvailable, msg, now));
    } else if (deploymentProgressing(d, next)) {
      const msg = `${subject} is progressing.`;
      const condition = newCondition(PROGRESSING, 'True', Reason.ReplicaSetUpdated, msg, now);
      // Unlike setCondition, progress with the same reason still moves lastUpdateTime.
      if (current) {
        if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, PROGRESSING);
      }
      setCondition(next, condition);
    } else if (timedOut(d, next, now)) {
      const msg = `${subject} has timed out progressing.`;
      setCondition(next, newCondition(PROGRESSING, 'False', Reason.TimedOut, msg, now));
    }
  }

  const failures = replicaFailures(allRSs, newRS);
  if (failures.length > 0) setCondition(next, failures[0]!);
  else removeCondition(next, REPLICA_FAILURE);

  if (sameStatus(deploymentStatus(d), next)) return stuckRecheckAfter(d, next, now);
  d.status = next;
  await updateDeploymentStatus(ctx, d);
  return undefined;
}

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
export function timedOut(d: KubeObject, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = getCondition(status, PROGRESSING);
  if (!condition) return false;
  // A rollout that completed earlier: its next one has not been noticed yet.
  if (condition.reason === Reason.NewRSAvailable) return false;
  if (condition.reason === Reason.TimedOut) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '') || 0;
  return from + deploymentSpec(d).progressDeadlineSeconds! * 1000 < now;
}

/**
 * requeueStuckDeployment: for a rollout neither complete nor timed out, the time until
 * lastUpdateTime + progressDeadlineSeconds, plus the second Kubernetes adds against early
 * wake-ups. Kubernetes re-queues at once (rate limited) when less than a second is left;
 * here that case also waits one second.
 */
export function stuckRecheckAfter(
  d: KubeObject,
  next: DeploymentStatus,
  now: number,
): number | undefined {
  const current = getCondition(deploymentStatus(d), PROGRESSING);
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, next) || current.reason === Reason.TimedOut) return undefined;
  const from = Date.parse(current.lastUpdateTime ?? '') || 0;
  const after = from + deploymentSpec(d).progressDeadlineSeconds! * 1000 - now;
  return Math.max(after, 0) + 1000;
}

/** getReplicaFailures: the new ReplicaSet's ReplicaFailure, else any old one's. */
function replicaFailures(
  allRSs: (KubeObject | undefined)[],
  newRS: KubeObject | undefined,
): Condition[] {
  const of = (rs: KubeObject | undefined) =>
    rs
      ? rsStatus(rs)
          .conditions.filter((c) => c.type === REPLICA_FAILURE)
          .map(fromReplicaSetCondition)
      : [];
  const fromNew = of(newRS);
  return fromNew.length > 0 ? fromNew : allRSs.flatMap(of);
}

/**
 * checkPausedConditions: Progressing becomes Unknown/DeploymentPaused on pause and
 * Unknown/DeploymentResumed on resume, so the time spent paused never counts against
 * the deadline. A reported ProgressDeadlineExceeded is left as it is.
 */
export async function checkPausedConditions(ctx: SyncContext, d: KubeObject): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const status = deploymentStatus(d);
  const cond = getCondition(status, PROGRESSING);
  if (cond?.reason === Reason.TimedOut) return;
  const pausedCondExists = cond?.reason === Reason.Paused;
  const { paused } = deploymentSpec(d);
  const now = ctx.clock.now();
  if (paused && !pausedCondExists) {
    setCondition(
      status,
      newCondition(PROGRESSING, 'Unknown', Reason.Paused, 'Deployment is paused', now),
    );
  } else if (!paused && pausedCondExists) {
    setCondition(
      status,
      newCondition(PROGRESSING, 'Unknown', Reason.Resumed, 'Deployment is resumed', now),
    );
  } else {
    return;
  }
  await updateDeploymentStatus(ctx, d);
}
