import type { KubeObject } from '../../api/index.ts';
import { matchesLabels, type LabelSelector } from '../../api/selectors/index.ts';
import { isConflict, isInvalid, isNotFound } from '../../client/index.ts';
import { errorMessage, type SyncContext } from './context.ts';
import { controllerRefOf, newControllerRef, PODS } from './pods.ts';

// PodControllerRefManager.ClaimPods: which of the namespace's active pods an owner
// controls. Its own pods that still match stay; its own pods that stopped matching are
// released (their owner reference removed); orphans that match are adopted (a controller
// reference added) unless the owner or the pod is being deleted. Before the first
// adoption the owner is read afresh from the API, so an owner deleted meanwhile adopts
// nothing (kubernetes#42639). Pods controlled by someone else are left alone.
//
// Both patches carry the pod's UID, so a pod deleted and re-created under the same name
// is not touched.

/** The pods `owner` controls after adopting and releasing; throws if a patch failed. */
export async function claimPods(
  ctx: SyncContext,
  owner: KubeObject,
  selector: LabelSelector,
  pods: KubeObject[],
): Promise<KubeObject[]> {
  const uid = owner.metadata?.uid;
  const namespace = owner.metadata?.namespace ?? '';
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  let canAdopt: Promise<void> | undefined;
  const claimed: KubeObject[] = [];
  const errors: unknown[] = [];
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    const matches = matchesLabels(selector, pod.metadata?.labels);
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(pod);
        else if (!ownerDeleting) await releasePod(ctx, owner, pod);
        continue;
      }
      if (ownerDeleting || !matches || pod.metadata?.deletionTimestamp) continue;
      if (namespace && namespace !== pod.metadata?.namespace) continue;
      canAdopt ??= recheckDeletion(ctx, owner);
      await adoptPod(ctx, owner, pod, canAdopt);
      claimed.push(pod);
    } catch (err) {
      // Gone: nothing to claim. Anything else: someone else claimed it first, or a
      // transient failure; the sync fails and comes round again.
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`[${errors.map(errorMessage).join(', ')}]`);
  return claimed;
}

/** RecheckDeletionTimestamp: a fresh read of the owner, which must exist and not be deleting. */
async function recheckDeletion(ctx: SyncContext, owner: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = owner.metadata ?? {};
  const fresh = await ctx.client.get(ctx.info.ref, namespace, name);
  if (fresh.metadata?.uid !== uid) {
    throw new Error(
      `original ${ctx.info.kind} ${namespace}/${name} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`,
    );
  }
  if (fresh.metadata?.deletionTimestamp) {
    throw new Error(
      `${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
    );
  }
}

async function adoptPod(
  ctx: SyncContext,
  owner: KubeObject,
  pod: KubeObject,
  canAdopt: Promise<void>,
): Promise<void> {
  const { namespace = '', name = '', uid } = pod.metadata ?? {};
  try {
    await canAdopt;
  } catch (err) {
    // A plain error, even for NotFound: the owner is gone, not the pod.
    throw new Error(`can't adopt Pod ${namespace}/${name} (${uid}): ${errorMessage(err)}`);
  }
  const patch = { metadata: { ownerReferences: [newControllerRef(owner, ctx.info)], uid } };
  await ctx.client.patch(PODS, namespace, name, patch, 'strategic');
}

async function releasePod(ctx: SyncContext, owner: KubeObject, pod: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = pod.metadata ?? {};
  const patch = {
    metadata: { ownerReferences: [{ $patch: 'delete', uid: owner.metadata?.uid }], uid },
  };
  try {
    await ctx.client.patch(PODS, namespace, name, patch, 'strategic');
  } catch (err) {
    // Gone, or re-created under the same name (Kubernetes answers Invalid for the UID
    // mismatch, wharf a Conflict on the UID precondition): nothing of ours to release.
    if (isNotFound(err) || isInvalid(err) || isConflict(err)) return;
    throw err;
  }
}
