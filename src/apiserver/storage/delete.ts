import { cloneJson, rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { isStoreError } from '../../store/index.ts';
import { StatusError, badRequest, conflict } from '../errors.ts';
import { decodeObject } from './codec.ts';
import { meta } from './object-meta.ts';
import { storeFailure, type ResourceStore, type WriteContext } from './resource-store.ts';

// DELETE as kube-apiserver does it: preconditions, graceful deletion of pods that run on a
// node, and finalizers (including the ones that propagationPolicy adds) that turn a delete
// into "set deletionTimestamp and wait".

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface DeleteResult {
  object: KubeObject;
  /** False when the object stays, marked for deletion, until finalizers or grace end. */
  deleted: boolean;
}

export function checkDeleteOptions(opts: DeleteOptions): void {
  const p = opts.propagationPolicy;
  if (p !== undefined && !['Foreground', 'Background', 'Orphan'].includes(p)) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  if (p !== undefined && opts.orphanDependents !== undefined) {
    throw badRequest('orphanDependents and propagationPolicy may not both be set');
  }
  const g = opts.gracePeriodSeconds;
  if (g !== undefined && (!Number.isInteger(g) || g < 0)) {
    throw badRequest(`gracePeriodSeconds: Invalid value: ${g}: must be a whole number >= 0`);
  }
}

export async function deleteObject(
  rs: ResourceStore,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  ctx: WriteContext,
): Promise<DeleteResult> {
  checkDeleteOptions(opts);
  const key = rs.key(namespace, name);
  for (let attempt = 0; attempt < 16; attempt++) {
    const kv = await rs.deps.store.get(key);
    if (!kv) throw rs.notFound(name);
    const current = rs.view(decodeObject(kv));
    const cm = meta(current);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cm.uid) {
      throw conflict(
        rs.type.group,
        rs.type.resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cm.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== cm.resourceVersion) {
      throw conflict(
        rs.type.group,
        rs.type.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cm.resourceVersion}`,
      );
    }

    const next = cloneJson(current);
    const nm = meta(next);
    const finalizers = new Set(nm.finalizers ?? []);
    const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : undefined);
    if (policy === 'Foreground') {
      finalizers.delete(ORPHAN_FINALIZER);
      finalizers.add(FOREGROUND_FINALIZER);
    } else if (policy === 'Orphan') {
      finalizers.delete(FOREGROUND_FINALIZER);
      finalizers.add(ORPHAN_FINALIZER);
    } else if (policy === 'Background') {
      finalizers.delete(FOREGROUND_FINALIZER);
      finalizers.delete(ORPHAN_FINALIZER);
    }
    if (rs.type.kind === 'Namespace') {
      for (const f of (next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []) {
        finalizers.add(`spec:${f}`);
      }
    }
    const grace = gracePeriod(rs, next, opts);
    const mustWait = finalizers.size > 0 || grace > 0;

    if (!mustWait) {
      if (ctx.dryRun) return { object: current, deleted: true };
      try {
        const { revision } = await rs.deps.store.delete(key, kv.modRevision);
        cm.resourceVersion = String(revision);
        await rs.hooks?.afterDelete?.(current);
        return { object: current, deleted: true };
      } catch (err) {
        if (isStoreError(err, 'Conflict')) continue;
        if (isStoreError(err, 'NotFound')) throw rs.notFound(name);
        throw storeFailure(err);
      }
    }

    // Marked for deletion: finalizers (and, for pods, the node agent) finish the job.
    nm.finalizers = [...finalizers].filter((f) => !f.startsWith('spec:'));
    if (nm.finalizers.length === 0) delete nm.finalizers;
    if (!nm.deletionTimestamp) {
      nm.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + grace * 1000));
      nm.deletionGracePeriodSeconds = grace;
    } else if (grace < (nm.deletionGracePeriodSeconds ?? Infinity)) {
      // A second delete may shorten the grace period, never lengthen it.
      nm.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + grace * 1000));
      nm.deletionGracePeriodSeconds = grace;
    }
    if (rs.type.kind === 'Namespace') {
      next.status = { ...(next.status as object), phase: 'Terminating' };
    }
    if (ctx.dryRun) return { object: next, deleted: false };
    // Deleting again what is already being deleted, with nothing to change (same
    // finalizers, no shorter grace), writes nothing: watchers see no event.
    if (JSON.stringify(next) === JSON.stringify(current)) {
      return { object: current, deleted: false };
    }
    try {
      const written = await rs.deps.store.update(
        key,
        encodeForDelete(rs.toStorage(next)),
        kv.modRevision,
      );
      return { object: rs.view(decodeObject(written)), deleted: false };
    } catch (err) {
      if (isStoreError(err, 'Conflict')) continue;
      if (isStoreError(err, 'NotFound')) throw rs.notFound(name);
      throw storeFailure(err);
    }
  }
  throw new StatusError('Conflict', `too many concurrent changes to ${name}; try again`);
}

function encodeForDelete(obj: KubeObject): Buffer {
  const { resourceVersion: _rv, ...m } = obj.metadata ?? {};
  return Buffer.from(JSON.stringify({ ...obj, metadata: m }));
}

/**
 * Only pods are deleted gracefully, and only while a node may be running them; a pod that
 * never reached a node or has finished is removed at once.
 */
function gracePeriod(rs: ResourceStore, obj: KubeObject, opts: DeleteOptions): number {
  if (rs.type.kind !== 'Pod' || rs.type.group !== '') return 0;
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
}
