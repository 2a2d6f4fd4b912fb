import { isNotFound } from '../../client/index.ts';
import {
  COMPLETE,
  ensureCondition,
  FAILED,
  FAILURE_TARGET,
  findCondition,
  isPodFailed,
  matchPodFailurePolicy,
  newCondition,
  SUCCESS_CRITERIA_MET,
} from './conditions.ts';
import {
  completionsOf,
  isIndexed,
  JOBS,
  PODS,
  uidOf,
  type JobDeps,
  type SyncContext,
} from './context.ts';
import { formatIntervals, hasIndex, totalIndexes, withIndexes } from './indexes.ts';
import {
  completionIndex,
  hasTrackingFinalizer,
  PHASE_SUCCEEDED,
  REMOVE_FINALIZER_PATCH,
} from './pods.ts';
import type { Job, JobCondition, JobStatus, Pod } from './types.ts';

// trackJobStatusAndRemoveFinalizers: a finished pod is counted in two steps, so that no
// pod is counted twice or lost when the controller stops half-way:
//   1. its UID goes into .status.uncountedTerminatedPods (written to the API);
//   2. its tracking finalizer is removed (the pod may now disappear);
//   3. UIDs whose pods have no finalizer any more move into succeeded / failed.
// The terminal Complete / Failed condition waits until nothing is uncounted and no pod
// is terminating; before it the interim SuccessCriteriaMet / FailureTarget is written.

/** MaxUncountedPods: bounds the size of the status and the work of one sync. */
const MAX_UNCOUNTED = 500;

export async function trackJobStatus(
  deps: JobDeps,
  ctx: SyncContext,
  needsFlushIn: boolean,
): Promise<void> {
  let needsFlush = needsFlushIn;
  const job = ctx.job;
  const indexed = isIndexed(job);
  const completions = completionsOf(job) ?? 0;
  const pods = indexed
    ? [...ctx.pods].sort((a, b) => completionIndex(a) - completionIndex(b))
    : ctx.pods;
  const withFinalizer = new Set(
    pods
      .filter((p) => hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(uidOf(p)))
      .map(uidOf),
  );
  if (countUncounted(job.status!, withFinalizer)) needsFlush = true;
  const uncounted = job.status!.uncountedTerminatedPods!;
  const toRemove: Pod[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMax = false;
  for (const pod of pods) {
    const uid = uidOf(pod);
    if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue;
    const failed = isPodFailed(pod, job);
    const canRemove =
      !!job.metadata?.deletionTimestamp ||
      ctx.finishedCondition !== undefined ||
      pod.status?.phase === PHASE_SUCCEEDED ||
      failed;
    if (!canRemove) continue;
    toRemove.push(pod);
    const ix = completionIndex(pod);
    if (pod.status?.phase === PHASE_SUCCEEDED && !ctx.uncounted.failed.has(uid)) {
      if (indexed) {
        if (ix >= 0 && ix < completions && !hasIndex(ctx.prevSucceededIndexes, ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!ctx.uncounted.succeeded.has(uid)) {
        needsFlush = true;
        (uncounted.succeeded ??= []).push(uid);
      }
    } else if (failed || (ctx.finishedCondition && !isSuccessCriteriaMet(ctx.finishedCondition))) {
      // Once the Job is finishing, every pod not terminated counts as failed.
      if (!ctx.uncounted.failed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
        if (matchPodFailurePolicy(job, pod).countFailed) {
          needsFlush = true;
          (uncounted.failed ??= []).push(uid);
        }
      }
    }
    const pending =
      newSucceededIndexes.length +
      (uncounted.succeeded?.length ?? 0) +
      (uncounted.failed?.length ?? 0);
    if (pending >= MAX_UNCOUNTED) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    const sorted = [...new Set(newSucceededIndexes)].sort((a, b) => a - b);
    ctx.succeededIndexes = withIndexes(ctx.succeededIndexes, sorted);
    const text = formatIntervals(ctx.succeededIndexes);
    if (text !== (job.status!.completedIndexes ?? '')) needsFlush = true;
    job.status!.succeeded = totalIndexes(ctx.succeededIndexes);
    job.status!.completedIndexes = text;
  }
  const now = deps.clock.now();
  const finishing = ctx.finishedCondition;
  if (finishing?.type === FAILURE_TARGET) {
    job.status!.conditions = [...(job.status!.conditions ?? []), finishing];
    needsFlush = true;
    ctx.finishedCondition = newCondition(
      FAILED,
      'True',
      finishing.reason!,
      finishing.message!,
      now,
    );
  }
  if (finishing && isSuccessCriteriaMet(finishing)) {
    if (!isSuccessCriteriaMet(findCondition(job, SUCCESS_CRITERIA_MET))) {
      job.status!.conditions = [...(job.status!.conditions ?? []), finishing];
      needsFlush = true;
    }
    ctx.finishedCondition = newCondition(
      COMPLETE,
      'True',
      finishing.reason!,
      finishing.message!,
      now,
    );
  }
  needsFlush = await flushAndRemoveFinalizers(deps, ctx, toRemove, withFinalizer, needsFlush);
  const finished = !reachedMax && enactJobFinished(deps, ctx);
  if (finished) needsFlush = true;
  if (needsFlush) {
    ctx.job = await updateStatus(deps, ctx.job);
    if (finished) recordJobFinished(deps, ctx.job, ctx.finishedCondition!);
  }
}

export function isSuccessCriteriaMet(cond: JobCondition | undefined): boolean {
  return cond?.type === SUCCESS_CRITERIA_MET && cond.status === 'True';
}

/**
 * flushUncountedAndRemoveFinalizers: write the uncounted UIDs, remove the finalizers,
 * count the pods whose finalizer is gone. Answers whether the status still needs a write.
 */
async function flushAndRemoveFinalizers(
  deps: JobDeps,
  ctx: SyncContext,
  toRemove: Pod[],
  withFinalizer: Set<string>,
  needsFlushIn: boolean,
): Promise<boolean> {
  let needsFlush = needsFlushIn;
  if (needsFlush) {
    ctx.job = await updateStatus(deps, ctx.job);
    deps.backoff.update(ctx.newBackoffRecord);
    needsFlush = false;
  }
  let rmError: unknown;
  if (toRemove.length > 0) {
    deps.finalizerExpectations.expectRemoved(ctx.key, toRemove.map(uidOf));
    const ns = ctx.job.metadata?.namespace ?? '';
    await Promise.all(
      toRemove.map(async (pod) => {
        try {
          await deps.client.patch(
            PODS,
            ns,
            pod.metadata?.name ?? '',
            REMOVE_FINALIZER_PATCH,
            'strategic',
          );
        } catch (err) {
          // No update will show the finalizer gone: stop expecting one.
          deps.finalizerExpectations.removalObserved(ctx.key, uidOf(pod));
          if (!isNotFound(err)) {
            rmError ??= err;
            return;
          }
        }
        withFinalizer.delete(uidOf(pod));
      }),
    );
  }
  if (countUncounted(ctx.job.status!, withFinalizer)) needsFlush = true;
  if (rmError !== undefined) {
    if (needsFlush) await updateStatus(deps, ctx.job);
    throw rmError;
  }
  return needsFlush;
}

/**
 * cleanUncountedPodsWithoutFinalizers: UIDs in uncountedTerminatedPods whose pods no
 * longer hold the finalizer are added to the counters. Answers whether anything changed.
 */
function countUncounted(status: JobStatus, withFinalizer: Set<string>): boolean {
  const uncounted = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  for (const field of ['succeeded', 'failed'] as const) {
    const before = uncounted[field] ?? [];
    const keep = before.filter((uid) => withFinalizer.has(uid));
    if (keep.length === before.length) continue;
    changed = true;
    status[field] = (status[field] ?? 0) + before.length - keep.length;
    if (keep.length > 0) uncounted[field] = keep;
    else delete uncounted[field];
  }
  return changed;
}

/** Sets Complete or Failed once nothing is uncounted and no pod is terminating. */
function enactJobFinished(deps: JobDeps, ctx: SyncContext): boolean {
  const cond = ctx.finishedCondition;
  if (!cond) return false;
  const uncounted = ctx.job.status?.uncountedTerminatedPods;
  if ((uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0) > 0) return false;
  if (ctx.terminating > 0) return false;
  const now = deps.clock.now();
  ensureCondition(
    ctx.job,
    newCondition(cond.type, cond.status, cond.reason ?? '', cond.message ?? '', now),
  );
  if (cond.type === COMPLETE) ctx.job.status!.completionTime = cond.lastTransitionTime ?? undefined;
  return true;
}

function recordJobFinished(deps: JobDeps, job: Job, cond: JobCondition): void {
  if (cond.type === COMPLETE) {
    const completions = completionsOf(job);
    if (completions !== undefined && (job.status?.succeeded ?? 0) > completions) {
      deps.recorder.event(
        job,
        'Warning',
        'TooManySucceededPods',
        'Too many succeeded pods running after completion count reached',
      );
    }
    deps.recorder.event(job, 'Normal', 'Completed', 'Job completed');
  } else {
    deps.recorder.event(job, 'Warning', cond.reason ?? '', cond.message ?? '');
  }
}

/** UpdateStatus with the resourceVersion we hold; the status as Go serializes it. */
export async function updateStatus(deps: JobDeps, job: Job): Promise<Job> {
  const status: JobStatus = { ...job.status };
  // int32 counters with omitempty; ready and terminating are pointers and stay.
  for (const field of ['active', 'succeeded', 'failed'] as const) {
    if (!status[field]) delete status[field];
  }
  if (!status.completedIndexes) delete status.completedIndexes;
  const updated = await deps.client.update<Job>(
    JOBS,
    job.metadata?.namespace ?? '',
    job.metadata?.name ?? '',
    { ...job, status },
    { subresource: 'status' },
  );
  const next = structuredClone(updated);
  next.status ??= {};
  next.status.uncountedTerminatedPods ??= {};
  return next;
}
