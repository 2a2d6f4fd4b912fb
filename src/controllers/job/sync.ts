import { rfc3339 } from '../../api/index.ts';
import {
  ensureCondition,
  FAILED,
  FAILURE_TARGET,
  findCondition,
  isJobFinished,
  isPodFailed,
  matchPodFailurePolicy,
  newCondition,
  SUCCESS_CRITERIA_MET,
  SUSPENDED,
} from './conditions.ts';
import {
  completionsOf,
  isIndexed,
  requeue,
  uidOf,
  type JobDeps,
  type SyncContext,
} from './context.ts';
import { matchSuccessPolicy, succeededIndexes } from './indexes.ts';
import { deleteActivePods, manageJob } from './manage.ts';
import {
  completionIndex,
  hasTrackingFinalizer,
  isActive,
  isReady,
  isTerminating,
  parseTime,
  PHASE_SUCCEEDED,
  restartCount,
} from './pods.ts';
import { isSuccessCriteriaMet, trackJobStatus } from './tracking.ts';
import type { Job, Pod } from './types.ts';

// syncJob of kube-controller-manager's Job controller (Kubernetes 1.32 with its default
// feature gates: JobPodReplacementPolicy, JobManagedBy and JobSuccessPolicy on, so the
// interim FailureTarget / SuccessCriteriaMet conditions come first and .status.terminating
// is tracked). Answers the delay after which the Job must be synced again, if any.

export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

/**
 * `shared` is the cached Job (never mutated); `pods` are the pods it owns. Throws on
 * API failures, after writing whatever progress it made.
 */
export async function syncJob(
  deps: JobDeps,
  key: string,
  shared: Job,
  pods: Pod[],
): Promise<number | undefined> {
  const managedBy = shared.spec?.managedBy;
  if (managedBy && managedBy !== JOB_CONTROLLER_NAME) return undefined;
  const job = structuredClone(shared);
  if (isJobFinished(job)) {
    deps.backoff.remove(key);
    return undefined;
  }
  const mode = job.spec?.completionMode;
  if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') {
    deps.recorder.event(
      job,
      'Warning',
      'UnknownCompletionMode',
      'Skipped Job sync because completion mode is unknown',
    );
    return undefined;
  }
  const status = (job.status ??= {});
  status.uncountedTerminatedPods ??= {};
  const now = deps.clock.now();
  const suspended = job.spec?.suspend === true;
  // Expectations first: a pod created after this check waits for the next sync.
  const satisfied = deps.expectations.satisfied(key);
  const activePods = pods.filter(isActive);
  const ctx: SyncContext = {
    key,
    job,
    pods,
    activePods,
    ready: activePods.filter(isReady).length,
    terminating: pods.filter(isTerminating).length,
    succeeded: 0,
    failed: 0,
    uncounted: {
      succeeded: new Set(status.uncountedTerminatedPods.succeeded ?? []),
      failed: new Set(status.uncountedTerminatedPods.failed ?? []),
    },
    expectedRmFinalizers: deps.finalizerExpectations.expected(key),
    newBackoffRecord: { key, failuresAfterLastSuccess: 0 },
    prevSucceededIndexes: [],
    succeededIndexes: [],
  };
  let active = activePods.length;
  const newSucceeded = newFinishedPods(
    ctx,
    ctx.uncounted.succeeded,
    (p) => p.status?.phase === PHASE_SUCCEEDED,
  );
  const newFailed = newFinishedPods(ctx, ctx.uncounted.failed, (p) => isPodFailed(p, job));
  const newFailedCounted = newFailed.filter((p) => matchPodFailurePolicy(job, p).countFailed);
  ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncounted.succeeded.size;
  ctx.failed = (status.failed ?? 0) + newFailedCounted.length + ctx.uncounted.failed.size;
  if (!status.startTime && !suspended) status.startTime = rfc3339(now);
  ctx.newBackoffRecord = deps.backoff.next(key, newSucceeded, newFailed);

  const backoffLimit = job.spec?.backoffLimit ?? 6;
  const met = findCondition(job, SUCCESS_CRITERIA_MET);
  ctx.finishedCondition = isSuccessCriteriaMet(met) ? met : undefined;
  if (!ctx.finishedCondition) {
    const target = findCondition(job, FAILURE_TARGET);
    if (target?.status === 'True') {
      ctx.finishedCondition = newCondition(
        FAILED,
        'True',
        target.reason ?? '',
        target.message ?? '',
        now,
      );
    } else {
      const message = failJobMessage(job, pods);
      if (message) {
        ctx.finishedCondition = newCondition(
          FAILURE_TARGET,
          'True',
          'PodFailurePolicy',
          message,
          now,
        );
      }
    }
  }
  if (!ctx.finishedCondition) {
    const deadline = job.spec?.activeDeadlineSeconds;
    const started = parseTime(status.startTime);
    if (ctx.failed > backoffLimit || pastBackoffLimitOnFailure(job, pods, backoffLimit)) {
      ctx.finishedCondition = newCondition(
        FAILURE_TARGET,
        'True',
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
        now,
      );
    } else if (deadline !== undefined && started !== undefined && !suspended) {
      const left = deadline * 1000 - (now - started);
      if (left <= 0) {
        ctx.finishedCondition = newCondition(
          FAILURE_TARGET,
          'True',
          'DeadlineExceeded',
          'Job was active longer than specified deadline',
          now,
        );
      } else {
        requeue(ctx, left);
      }
    }
  }
  if (isIndexed(job)) {
    const completions = completionsOf(job) ?? 0;
    const fresh = pods.filter(
      (p) => p.status?.phase === PHASE_SUCCEEDED && hasTrackingFinalizer(p),
    );
    const indexes = succeededIndexes(status.completedIndexes, completions, fresh);
    ctx.prevSucceededIndexes = indexes.previous;
    ctx.succeededIndexes = indexes.current;
    ctx.succeeded = indexes.current.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
    if (!ctx.finishedCondition) {
      const message = matchSuccessPolicy(
        job.spec?.successPolicy?.rules,
        completions,
        ctx.succeededIndexes,
      );
      if (message) {
        ctx.finishedCondition = newCondition(
          SUCCESS_CRITERIA_MET,
          'True',
          'SuccessPolicy',
          message,
          now,
        );
      }
    }
  }

  let suspendChanged = false;
  let manageError: unknown;
  if (ctx.finishedCondition) {
    const r = await deleteActivePods(deps, ctx, activePods);
    // Not finished while pods may remain that the cache does not show yet.
    if (r.deleted !== active || !satisfied) ctx.finishedCondition = undefined;
    active -= r.deleted;
    ctx.terminating += r.deleted;
    ctx.ready -= r.deletedReady;
    manageError = r.error;
  } else {
    let managed = false;
    if (satisfied && !job.metadata?.deletionTimestamp) {
      const r = await manageJob(deps, ctx);
      active = r.active;
      manageError = r.error;
      managed = true;
    }
    const completions = completionsOf(job);
    const complete =
      completions === undefined
        ? ctx.succeeded > 0 && active === 0
        : ctx.succeeded >= completions && active === 0;
    if (complete) {
      ctx.finishedCondition = newCondition(
        SUCCESS_CRITERIA_MET,
        'True',
        'CompletionsReached',
        'Reached expected number of succeeded pods',
        now,
      );
    } else if (managed) {
      suspendChanged = updateSuspended(deps, job, suspended, now);
    }
  }

  const needsStatusUpdate =
    suspendChanged ||
    active !== (status.active ?? 0) ||
    ctx.ready !== status.ready ||
    ctx.terminating !== status.terminating;
  status.active = active;
  status.ready = ctx.ready;
  status.terminating = ctx.terminating;
  await trackJobStatus(deps, ctx, needsStatusUpdate);
  if (manageError !== undefined) throw manageError;
  return ctx.requeueAfterMs;
}

/** The Suspended condition and its events; resuming restarts the deadline clock. */
function updateSuspended(deps: JobDeps, job: Job, suspended: boolean, now: number): boolean {
  if (suspended) {
    const cond = newCondition(SUSPENDED, 'True', 'JobSuspended', 'Job suspended', now);
    if (!ensureCondition(job, cond)) return false;
    deps.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
    return true;
  }
  const cond = newCondition(SUSPENDED, 'False', 'JobResumed', 'Job resumed', now);
  if (!ensureCondition(job, cond)) return false;
  deps.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
  job.status!.startTime = rfc3339(now);
  return true;
}

/** getValidPodsWithFilter: finished pods not counted yet (finalizer held, valid index). */
function newFinishedPods(
  ctx: SyncContext,
  uncounted: Set<string>,
  filter: (p: Pod) => boolean,
): Pod[] {
  const completions = completionsOf(ctx.job) ?? 0;
  return ctx.pods.filter((p) => {
    const uid = uidOf(p);
    if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) {
      return false;
    }
    if (isIndexed(ctx.job)) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions) return false;
    }
    return filter(p);
  });
}

function failJobMessage(job: Job, pods: Pod[]): string | undefined {
  if (!job.spec?.podFailurePolicy) return undefined;
  for (const pod of pods) {
    if (!isPodFailed(pod, job)) continue;
    const message = matchPodFailurePolicy(job, pod).failJobMessage;
    if (message) return message;
  }
  return undefined;
}

/** restartPolicy OnFailure: container restarts of live pods count against backoffLimit. */
function pastBackoffLimitOnFailure(job: Job, pods: Pod[], backoffLimit: number): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  const restarts = restartCount(pods);
  return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
}
