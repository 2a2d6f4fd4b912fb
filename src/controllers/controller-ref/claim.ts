import type { KubeObject, OwnerReference } from '../../api/index.ts';
import {
  isConflict,
  isInvalid,
  isNotFound,
  type ResourceRef,
  type RestClient,
} from '../../client/index.ts';

// BaseControllerRefManager.ClaimObject over a namespace's objects, as the ReplicaSet,
// DaemonSet, Deployment and Job controllers share it in Kubernetes. Its own objects that
// still match stay; its own that stopped matching are released unless the owner is being
// deleted; orphans that match are adopted unless either side is being deleted. Before the
// first adoption the owner is read afresh from the API, so one deleted or replaced
// meanwhile adopts nothing (kubernetes#42639). Objects controlled by someone else are left
// alone. Both patches carry the object's UID, so one deleted and re-created under the same
// name is not touched.

export interface ClaimOptions {
  client: Pick<RestClient, 'get' | 'patch'>;
  owner: KubeObject;
  /** Where the owner is re-read before the first adoption. */
  ownerResource: ResourceRef;
  ownerKind: string;
  /** The reference an adopted object gets (metav1.NewControllerRef). */
  controllerRef: OwnerReference;
  /** What is claimed: patched through `resource`, named `kind` in errors. */
  resource: ResourceRef;
  kind: string;
  match(obj: KubeObject): boolean;
  /** Added on adoption, removed on release: the Job's tracking finalizer. */
  finalizers?: string[];
}

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The objects the owner controls after adopting and releasing; throws what failed. */
export async function claimObjects<T extends KubeObject>(
  opts: ClaimOptions,
  objects: T[],
): Promise<T[]> {
  const { owner } = opts;
  const uid = owner.metadata?.uid;
  const namespace = owner.metadata?.namespace ?? '';
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  let canAdopt: Promise<void> | undefined;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  for (const obj of objects) {
    const ref = controllerRefOf(obj);
    const matches = opts.match(obj);
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        // Keeping what is already ours takes no write, so it is allowed while deleting.
        if (matches) claimed.push(obj);
        else if (!ownerDeleting) await release(opts, obj);
        continue;
      }
      if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
      if (namespace && namespace !== obj.metadata?.namespace) continue;
      canAdopt ??= recheckDeletion(opts);
      await adopt(opts, obj, canAdopt);
      claimed.push(obj);
    } catch (err) {
      // Gone: nothing to claim. Anything else (someone else claimed it first, or a
      // transient failure) fails the sync, which comes round again.
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`[${errors.map(errorMessage).join(', ')}]`);
  return claimed;
}

/** RecheckDeletionTimestamp: a fresh read of the owner, which must be the same and not deleting. */
async function recheckDeletion(opts: ClaimOptions): Promise<void> {
  const { namespace = '', name = '', uid } = opts.owner.metadata ?? {};
  const fresh = await opts.client.get(opts.ownerResource, namespace, name);
  if (fresh.metadata?.uid !== uid) {
    throw new Error(
      `original ${opts.ownerKind} ${namespace}/${name} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`,
    );
  }
  if (fresh.metadata?.deletionTimestamp) {
    throw new Error(
      `${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
    );
  }
}

async function adopt(opts: ClaimOptions, obj: KubeObject, canAdopt: Promise<void>) {
  const { namespace = '', name = '', uid } = obj.metadata ?? {};
  try {
    await canAdopt;
  } catch (err) {
    // A plain error, even for NotFound: the owner is gone, not the object.
    throw new Error(`can't adopt ${opts.kind} ${namespace}/${name} (${uid}): ${errorMessage(err)}`);
  }
  const finalizers = opts.finalizers?.length ? { finalizers: [...opts.finalizers] } : {};
  const patch = { metadata: { ownerReferences: [opts.controllerRef], uid, ...finalizers } };
  await opts.client.patch(opts.resource, namespace, name, patch, 'strategic');
}

async function release(opts: ClaimOptions, obj: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = obj.metadata ?? {};
  // Named only when carried, as wharf's Job controller always patched; Kubernetes names
  // them regardless, to the same effect.
  const carried = opts.finalizers?.filter((f) => obj.metadata?.finalizers?.includes(f)) ?? [];
  const patch = {
    metadata: {
      ownerReferences: [{ $patch: 'delete', uid: opts.owner.metadata?.uid }],
      uid,
      ...(carried.length ? { '$deleteFromPrimitiveList/finalizers': carried } : {}),
    },
  };
  try {
    await opts.client.patch(opts.resource, namespace, name, patch, 'strategic');
  } catch (err) {
    // Gone, or re-created under the same name (Kubernetes answers Invalid for the UID
    // mismatch, wharf a Conflict on the UID precondition): nothing of ours to release.
    if (isNotFound(err) || isInvalid(err) || isConflict(err)) return;
    throw err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
