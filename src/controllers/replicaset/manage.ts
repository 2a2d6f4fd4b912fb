import type { KubeObject, OwnerReference } from '../../api/index.ts';
import { isNamespaceTerminating, isNotFound, objectKey } from '../../client/index.ts';
import { errorMessage, type SyncContext } from './context.ts';
import { specOf, type PodTemplate } from './kinds.ts';
import { newControllerRef, podFromTemplate, podKey, PODS } from './pods.ts';
import { podsToDelete } from './ranking.ts';

// manageReplicas of replica_set.go: create or delete pods until `active` has
// spec.replicas of them, at most burstReplicas per sync, recording expectations first so
// that the informer events of these very writes are what lets the next sync act again.

export const BURST_REPLICAS = 500;
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** Throws the first failure (creations stop at the first failing batch). */
export async function manageReplicas(
  ctx: SyncContext,
  owner: KubeObject,
  active: KubeObject[],
  relatedPods: () => KubeObject[],
  now: number,
): Promise<void> {
  const key = objectKey(owner);
  const spec = specOf(owner);
  const diff = active.length - spec.replicas;
  if (diff < 0) {
    const count = Math.min(-diff, ctx.burstReplicas);
    ctx.expectations.expectCreations(key, count);
    const ref = newControllerRef(owner, ctx.info);
    const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, () =>
      createPod(ctx, owner, spec.template, ref),
    );
    // Pods never created are never observed: stop expecting them.
    for (let i = successes; i < count; i++) ctx.expectations.creationObserved(key);
    if (error !== undefined) throw error;
  } else if (diff > 0) {
    const count = Math.min(diff, ctx.burstReplicas);
    const victims = podsToDelete(active, relatedPods(), count, now);
    // Expect these very pods, so each is counted once, whether the informer shows it
    // with a deletionTimestamp first or only as deleted.
    ctx.expectations.expectDeletions(key, victims.map(podKey));
    const failures = await Promise.all(
      victims.map(async (pod) => {
        try {
          await deletePod(ctx, owner, pod.metadata?.name ?? '');
          return undefined;
        } catch (err) {
          ctx.expectations.deletionObserved(key, podKey(pod));
          return isNotFound(err) ? undefined : err;
        }
      }),
    );
    const first = failures.find((err) => err !== undefined);
    if (first !== undefined) throw first;
  }
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, … running each batch in parallel and
 * stopping after the first batch with a failure, so a quota that refuses every pod costs
 * one request (and one event), not hundreds. Answers how many calls succeeded and the
 * first failure.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (
    let batch = Math.min(remaining, initialBatchSize);
    batch > 0;
    batch = Math.min(2 * batch, remaining)
  ) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}

/** RealPodControl.CreatePods: a pod from the template, and its event. */
async function createPod(
  ctx: SyncContext,
  owner: KubeObject,
  template: PodTemplate,
  ref: OwnerReference,
): Promise<void> {
  const pod = podFromTemplate(owner, template, ref);
  if (!pod.metadata?.labels) throw new Error('unable to create pods, no labels');
  let created: KubeObject;
  try {
    created = await ctx.client.create(PODS, owner.metadata?.namespace ?? '', pod);
  } catch (err) {
    // Every creation in a namespace being deleted fails: not worth an event or a retry.
    if (isNamespaceTerminating(err)) return;
    ctx.events.event(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
    throw err;
  }
  ctx.events.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
}

/** RealPodControl.DeletePod: NotFound is thrown as is, other failures with an event. */
async function deletePod(ctx: SyncContext, owner: KubeObject, name: string): Promise<void> {
  try {
    await ctx.client.delete(PODS, owner.metadata?.namespace ?? '', name);
  } catch (err) {
    if (isNotFound(err)) throw err;
    ctx.events.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
    throw new Error(`unable to delete pods: ${errorMessage(err)}`);
  }
  ctx.events.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
}
