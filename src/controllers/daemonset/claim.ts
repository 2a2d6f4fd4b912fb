import type { KubeObject } from '../../api/index.ts';
import { matchesLabels, type LabelSelector } from '../../api/selectors/index.ts';
import { isConflict, isInvalid, isNotFound, type ResourceRef } from '../../client/index.ts';
import type { SyncContext } from './context.ts';
import { controllerRefOf, DAEMONSETS, errorMessage, newControllerRef } from './types.ts';

// The ControllerRefManager's ClaimPods and ClaimControllerRevisions for a DaemonSet: of
// the namespace's objects, its own that still match stay; its own that stopped matching
// are released (their owner reference removed) unless the DaemonSet is being deleted;
// orphans that match are adopted (a controller reference added) unless either side is
// being deleted. Before the first adoption the DaemonSet is read afresh from the API, so
// one deleted meanwhile adopts nothing (kubernetes#42639). Objects controlled by someone
// else are left alone. Both patches carry the object's UID, so one deleted and re-created
// under the same name is not touched.

/** The objects `ds` controls after adopting and releasing; throws if a patch failed. */
export async function claimObjects(
  ctx: SyncContext,
  ds: KubeObject,
  selector: LabelSelector,
  objects: KubeObject[],
  ref: ResourceRef,
  kind: 'Pod' | 'ControllerRevision',
): Promise<KubeObject[]> {
  const uid = ds.metadata?.uid;
  const namespace = ds.metadata?.namespace ?? '';
  const dsDeleting = !!ds.metadata?.deletionTimestamp;
  let canAdopt: Promise<void> | undefined;
  const claimed: KubeObject[] = [];
  const errors: unknown[] = [];
  for (const obj of objects) {
    const owner = controllerRefOf(obj);
    const matches = matchesLabels(selector, obj.metadata?.labels);
    try {
      if (owner) {
        if (owner.uid !== uid) continue;
        if (matches) claimed.push(obj);
        else if (!dsDeleting) await release(ctx, ds, obj, ref);
        continue;
      }
      if (dsDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
      if (namespace !== (obj.metadata?.namespace ?? '')) continue;
      canAdopt ??= recheckDeletion(ctx, ds);
      try {
        await canAdopt;
      } catch (err) {
        const { name, uid: objUid } = obj.metadata ?? {};
        throw new Error(
          `can't adopt ${kind} ${namespace}/${name} (${objUid}): ${errorMessage(err)}`,
        );
      }
      const patch = {
        metadata: { ownerReferences: [newControllerRef(ds)], uid: obj.metadata?.uid },
      };
      await ctx.client.patch(ref, namespace, obj.metadata?.name ?? '', patch, 'strategic');
      claimed.push(obj);
    } catch (err) {
      // Gone: nothing to claim. Anything else fails the sync, which comes round again.
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`[${errors.map(errorMessage).join(', ')}]`);
  return claimed;
}

/** RecheckDeletionTimestamp: a fresh read of the DaemonSet, which must be the same and not deleting. */
async function recheckDeletion(ctx: SyncContext, ds: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = ds.metadata ?? {};
  const fresh = await ctx.client.get(DAEMONSETS, namespace, name);
  if (fresh.metadata?.uid !== uid) {
    throw new Error(
      `original DaemonSet ${namespace}/${name} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`,
    );
  }
  if (fresh.metadata?.deletionTimestamp) {
    throw new Error(
      `${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
    );
  }
}

async function release(
  ctx: SyncContext,
  ds: KubeObject,
  obj: KubeObject,
  ref: ResourceRef,
): Promise<void> {
  const { namespace = '', name = '', uid } = obj.metadata ?? {};
  const patch = {
    metadata: { ownerReferences: [{ $patch: 'delete', uid: ds.metadata?.uid }], uid },
  };
  try {
    await ctx.client.patch(ref, namespace, name, patch, 'strategic');
  } catch (err) {
    // Gone, or re-created under the same name (Kubernetes answers Invalid for the UID
    // mismatch, wharf a Conflict on the UID precondition): nothing of ours to release.
    if (isNotFound(err) || isInvalid(err) || isConflict(err)) return;
    throw err;
  }
}
