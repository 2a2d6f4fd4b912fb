import { errorMessage } from './errors.ts';
import { remainingBackoff } from './backoff.ts';
import { onlyReplaceFailedPods } from './conditions.ts';
import {
  completionsOf,
  isIndexed,
  PODS,
  requeue,
  type JobDeps,
  type SyncContext,
} from './context.ts';
import { duplicatedIndexPods, firstPendingIndexes } from './indexes.ts';
import {
  compareForRemoval,
  hasTrackingFinalizer,
  isReady,
  isTerminating,
  podFromTemplate,
  REMOVE_FINALIZER_PATCH,
} from './pods.ts';
import type { Job, Pod } from './types.ts';
import { isNotFound } from '../../client/index.ts';

// manageJob: create or delete pods so that the number of active pods is what the Job
// wants, respecting the failure back-off, and for Indexed Jobs one pod per pending index.

/** MaxPodCreateDeletePerSync. */
const MAX_PER_SYNC = 500;
/** syncJobBatchPeriod: the least delay of a re-sync caused by pod changes. */
export const SYNC_BATCH_PERIOD_MS = 1000;

export interface ManageResult {
  active: number;
  error?: unknown;
}

export async function manageJob(deps: JobDeps, ctx: SyncContext): Promise<ManageResult> {
  const job = ctx.job;
  let active = ctx.activePods.length;
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = completionsOf(job);

  if (job.spec?.suspend === true) {
    const remove = podsForRemoval(job, ctx.activePods, active);
    deps.expectations.expectDeletions(ctx.key, remove.length);
    const r = await deleteJobPods(deps, ctx, remove);
    ctx.terminating += r.deleted;
    ctx.ready -= r.deletedReady;
    return { active: active - r.deleted, error: r.error };
  }

  let wantActive: number;
  if (completions === undefined) {
    // Without completions, once any pod succeeded whatever runs is left running.
    wantActive = ctx.succeeded > 0 ? active : parallelism;
  } else {
    wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));
  }

  const remove = podsForRemoval(job, ctx.activePods, Math.max(0, active - wantActive)).slice(
    0,
    MAX_PER_SYNC,
  );
  if (remove.length > 0) {
    // Deleting takes precedence: no creations in the same pass.
    deps.expectations.expectDeletions(ctx.key, remove.length);
    const r = await deleteJobPods(deps, ctx, remove);
    ctx.terminating += r.deleted;
    ctx.ready -= r.deletedReady;
    return { active: active - r.deleted, error: r.error };
  }

  const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
  let diff = wantActive - terminating - active;
  if (diff <= 0) return { active };
  const wait = remainingBackoff(ctx.newBackoffRecord, deps.clock.now());
  if (wait > 0) {
    requeue(ctx, Math.max(wait, SYNC_BATCH_PERIOD_MS));
    return { active };
  }
  diff = Math.min(diff, MAX_PER_SYNC);
  let indexes: number[] = [];
  if (isIndexed(job)) {
    const replacingOnlyFailed = onlyReplaceFailedPods(job)
      ? ctx.pods.filter(isTerminating)
      : undefined;
    indexes = firstPendingIndexes(
      ctx.succeededIndexes,
      ctx.activePods,
      replacingOnlyFailed,
      diff,
      completions ?? 0,
    );
    diff = indexes.length;
  }
  deps.expectations.expectCreations(ctx.key, diff);
  active += diff;
  let error: unknown;
  // Slow start: batches of 1, 2, 4, …; a batch with a failure stops the rest.
  for (let batch = Math.min(diff, 1); diff > 0; batch = Math.min(2 * batch, diff)) {
    const results = await Promise.all(
      Array.from({ length: batch }, () => createPod(deps, job, indexes.shift() ?? -1)),
    );
    const failures = results.filter((r) => r !== undefined);
    for (const failure of failures) {
      deps.expectations.creationObserved(ctx.key);
      active--;
      error ??= failure;
    }
    const skipped = diff - batch;
    if (failures.length > 0 && skipped > 0) {
      active -= skipped;
      for (let i = 0; i < skipped; i++) deps.expectations.creationObserved(ctx.key);
      break;
    }
    diff -= batch;
  }
  return { active, error };
}

/** Answers the error, or undefined when the pod was created. */
async function createPod(deps: JobDeps, job: Job, index: number): Promise<unknown> {
  const pod = podFromTemplate(job, index);
  try {
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) {
      throw new Error('unable to create pods, no labels');
    }
    const created = await deps.client.create(PODS, job.metadata?.namespace ?? '', pod);
    deps.recorder.event(
      job,
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${created.metadata?.name}`,
    );
    return undefined;
  } catch (err) {
    deps.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
    deps.log.warn({ err, job: job.metadata?.name }, 'job: could not create a pod');
    return err;
  }
}

/**
 * activePodsForRemoval: for Indexed Jobs first the pods with a repeated or invalid index,
 * then the cheapest pods to lose, until at least `atLeast`.
 */
export function podsForRemoval(job: Job, pods: Pod[], atLeast: number): Pod[] {
  let remove: Pod[] = [];
  let left = pods;
  if (isIndexed(job)) ({ remove, left } = duplicatedIndexPods(pods, completionsOf(job) ?? 0));
  if (remove.length < atLeast) {
    const sorted = [...left].sort(compareForRemoval);
    remove = [...remove, ...sorted.slice(0, atLeast - remove.length)];
  }
  return remove;
}

interface DeleteResult {
  deleted: number;
  deletedReady: number;
  error?: unknown;
}

/** deleteJobPods: the finalizer first (the pod is not counted), then the pod. */
export async function deleteJobPods(
  deps: JobDeps,
  ctx: SyncContext,
  pods: Pod[],
): Promise<DeleteResult> {
  return deletePods(deps, ctx, pods, true);
}

/** deleteActivePods: delete, keeping finalizers; tracking removes them once counted. */
export async function deleteActivePods(
  deps: JobDeps,
  ctx: SyncContext,
  pods: Pod[],
): Promise<DeleteResult> {
  return deletePods(deps, ctx, pods, false);
}

async function deletePods(
  deps: JobDeps,
  ctx: SyncContext,
  pods: Pod[],
  dropFinalizer: boolean,
): Promise<DeleteResult> {
  const job = ctx.job;
  const ns = job.metadata?.namespace ?? '';
  const result: DeleteResult = { deleted: pods.length, deletedReady: 0 };
  const fail = (err: unknown) => {
    if (dropFinalizer) deps.expectations.deletionObserved(ctx.key);
    if (isNotFound(err)) return;
    result.deleted--;
    result.error ??= err;
  };
  await Promise.all(
    pods.map(async (pod) => {
      const name = pod.metadata?.name ?? '';
      if (dropFinalizer && hasTrackingFinalizer(pod)) {
        try {
          await deps.client.patch(PODS, ns, name, REMOVE_FINALIZER_PATCH, 'strategic');
        } catch (err) {
          return fail(err);
        }
      }
      try {
        await deps.client.delete(PODS, ns, name);
        deps.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      } catch (err) {
        if (!isNotFound(err)) {
          deps.recorder.event(
            job,
            'Warning',
            'FailedDelete',
            `Error deleting: ${errorMessage(err)}`,
          );
        }
        fail(err);
      }
      if (isReady(pod)) result.deletedReady++;
    }),
  );
  return result;
}
