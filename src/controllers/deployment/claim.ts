import type { KubeObject, OwnerReference } from '../../api/index.ts';
import { matchesLabels, type LabelSelector } from '../../api/selectors/index.ts';
import { isConflict, isInvalid, isNotFound } from '../../client/index.ts';
import { errorMessage, type SyncContext } from './context.ts';
import { DEPLOYMENTS, REPLICASETS } from './types.ts';

// getReplicaSetsForDeployment: ReplicaSetControllerRefManager.ClaimReplicaSets. The
// Deployment's own ReplicaSets that still match its selector stay; its own that stopped
// matching are released (controller reference removed); orphans that match are adopted
// (unless the Deployment or the ReplicaSet is being deleted), after one fresh read of the
// Deployment proves it still exists and is not being deleted. ReplicaSets controlled by
// someone else are left alone. Patches carry the ReplicaSet's UID as a precondition.

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef to a Deployment. */
export function controllerRefTo(d: KubeObject): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: d.metadata?.name ?? '',
    uid: d.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The ReplicaSets `d` controls after adopting and releasing; throws what failed. */
export async function claimReplicaSets(
  ctx: SyncContext,
  d: KubeObject,
  selector: LabelSelector,
  inNamespace: KubeObject[],
): Promise<KubeObject[]> {
  const uid = d.metadata?.uid;
  const deleting = !!d.metadata?.deletionTimestamp;
  let canAdopt: Promise<void> | undefined;
  const claimed: KubeObject[] = [];
  const errors: unknown[] = [];
  for (const rs of inNamespace) {
    const ref = controllerRefOf(rs);
    const matches = matchesLabels(selector, rs.metadata?.labels);
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(rs);
        else if (!deleting) await release(ctx, d, rs);
        continue;
      }
      if (deleting || !matches || rs.metadata?.deletionTimestamp) continue;
      canAdopt ??= recheckDeletion(ctx, d);
      await adopt(ctx, d, rs, canAdopt);
      claimed.push(rs);
    } catch (err) {
      if (!isNotFound(err)) errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`[${errors.map(errorMessage).join(', ')}]`);
  return claimed;
}

async function recheckDeletion(ctx: SyncContext, d: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = d.metadata ?? {};
  const fresh = await ctx.client.get(DEPLOYMENTS, namespace, name);
  if (fresh.metadata?.uid !== uid) {
    throw new Error(
      `original Deployment ${namespace}/${name} is gone: got uid ${fresh.metadata?.uid}, wanted ${uid}`,
    );
  }
  if (fresh.metadata?.deletionTimestamp) {
    throw new Error(
      `${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
    );
  }
}

async function adopt(
  ctx: SyncContext,
  d: KubeObject,
  rs: KubeObject,
  canAdopt: Promise<void>,
): Promise<void> {
  const { namespace = '', name = '', uid } = rs.metadata ?? {};
  try {
    await canAdopt;
  } catch (err) {
    throw new Error(`can't adopt ReplicaSet ${namespace}/${name} (${uid}): ${errorMessage(err)}`);
  }
  const patch = { metadata: { ownerReferences: [controllerRefTo(d)], uid } };
  await ctx.client.patch(REPLICASETS, namespace, name, patch, 'strategic');
}

async function release(ctx: SyncContext, d: KubeObject, rs: KubeObject): Promise<void> {
  const { namespace = '', name = '', uid } = rs.metadata ?? {};
  const patch = {
    metadata: { ownerReferences: [{ $patch: 'delete', uid: d.metadata?.uid }], uid },
  };
  try {
    await ctx.client.patch(REPLICASETS, namespace, name, patch, 'strategic');
  } catch (err) {
    // Gone, or re-created under the same name (Kubernetes answers Invalid for the UID
    // mismatch, wharf a Conflict): nothing of ours to release.
    if (isNotFound(err) || isInvalid(err) || isConflict(err)) return;
    throw err;
  }
}
