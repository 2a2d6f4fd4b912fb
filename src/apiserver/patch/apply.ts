import type { KubeObject } from '../../api/index.ts';
import { apiVersionOf, cloneJson, rfc3339 } from '../../api/index.ts';
import { StatusError, badRequest } from '../errors.ts';
import type { ResourceStore, WriteContext } from '../storage/resource-store.ts';
import {
  describePath,
  difference,
  fieldSetOf,
  intersection,
  leaves,
  union,
  type FieldSet,
  type ListLookup,
} from './field-set.ts';
import {
  changedLeaves,
  entriesOf,
  entry,
  removeAt,
  setFromPaths,
  setOf,
  trackedPart,
  withSet,
  type ManagedFieldsEntry,
} from './managed-fields.ts';
import { isPlainObject } from './merge-patch.ts';
import { listLookup } from './meta.ts';

// Server-side apply: the applier declares the fields it cares about; they are merged into
// the live object (maps by field, keyed lists by key, sets by value, atomic lists whole),
// fields it declared before and not any more are removed unless someone else owns them,
// and a field another manager set to a different value is a conflict unless force=true.

export async function applyServerSide(
  rs: ResourceStore,
  namespace: string,
  name: string,
  config: KubeObject,
  ctx: WriteContext,
  force: boolean,
  subresource: string,
): Promise<{ object: KubeObject; created: boolean }> {
  const manager = ctx.fieldManager;
  if (!manager)
    throw badRequest(
      'PATCH requests with application/apply-patch+yaml must set the fieldManager parameter',
    );
  const want = apiVersionOf(rs.type.group, rs.type.version);
  if (!config.apiVersion || !config.kind)
    throw badRequest('apply configuration must set apiVersion and kind');
  if (config.apiVersion !== want || config.kind !== rs.type.kind) {
    throw badRequest(
      `apply configuration is ${config.apiVersion} ${config.kind}, but this endpoint serves ${want} ${rs.type.kind}`,
    );
  }
  if (config.metadata?.name !== undefined && config.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  const lookup = listLookup(rs.type);
  const applied = trackedPart(config, subresource);
  const appliedSet = fieldSetOf(applied, lookup);
  const now = rfc3339(ctx.now);

  let exists = true;
  try {
    await rs.get(namespace, name);
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
    exists = false;
  }
  if (!exists && !subresource) {
    const obj = cloneJson(config);
    obj.metadata = {
      ...(obj.metadata ?? {}),
      name,
      managedFields: [entry(manager, 'Apply', obj, appliedSet, now, '')],
    };
    return {
      object: await rs.create(namespace, obj, { ...ctx, fieldManager: undefined }),
      created: true,
    };
  }

  const object = await rs.guaranteedUpdate(
    namespace,
    name,
    (current) => {
      const live = trackedPart(current, subresource);
      let entries = entriesOf(current).map((e) => ({ ...e }));
      const isMine = (e: ManagedFieldsEntry) =>
        e.manager === manager && e.operation === 'Apply' && (e.subresource ?? '') === subresource;
      const previous = entries.find(isMine);
      const previousSet: FieldSet = previous ? setOf(previous) : new Map();

      const conflicts: { manager: string; apiVersion: string; path: string[] }[] = [];
      for (const other of entries) {
        if (isMine(other) || (other.subresource ?? '') !== subresource) continue;
        const shared = intersection(appliedSet, setOf(other));
        for (const path of changedLeaves(shared, live, applied)) {
          conflicts.push({ manager: other.manager, apiVersion: other.apiVersion, path });
        }
      }
      if (conflicts.length > 0 && !force) throw conflictError(conflicts);
      if (conflicts.length > 0) {
        const taken = setFromPaths(conflicts.map((c) => c.path));
        entries = entries.map((e) => (isMine(e) ? e : withSet(e, difference(setOf(e), taken))));
      }

      const merged = mergeApplied(live, applied, lookup, []) as Record<string, unknown>;
      const othersOwn = entries
        .filter((e) => !isMine(e))
        .reduce<FieldSet>((acc, e) => union(acc, setOf(e)), new Map());
      const dropped = difference(previousSet, appliedSet);
      for (const path of leaves(dropped)) {
        if (!hasPath(othersOwn, path)) removeAt(merged, path);
      }

      entries = entries.filter((e) => !isMine(e) && Object.keys(e.fieldsV1).length > 0);
      entries.push(entry(manager, 'Apply', config, appliedSet, now, subresource));
      const next = rebuild(current, merged, subresource);
      next.metadata = { ...next.metadata, managedFields: entries };
      return next;
    },
    { ...ctx, fieldManager: undefined },
  );
  return { object, created: false };
}

function hasPath(set: FieldSet, path: string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const el of path) {
    node = node?.get(el);
    if (!node) return false;
  }
  return true;
}

/** Puts the tracked part back together with the identity and status of the live object. */
function rebuild(
  current: KubeObject,
  merged: Record<string, unknown>,
  subresource: string,
): KubeObject {
  if (subresource === 'status') return { ...current, status: merged.status };
  const { metadata, ...rest } = merged as { metadata?: Record<string, unknown> };
  const cm = current.metadata ?? {};
  return {
    apiVersion: current.apiVersion,
    kind: current.kind,
    ...rest,
    metadata: {
      ...(metadata ?? {}),
      name: cm.name,
      ...(cm.namespace ? { namespace: cm.namespace } : {}),
      uid: cm.uid,
      resourceVersion: cm.resourceVersion,
      creationTimestamp: cm.creationTimestamp,
    },
    ...(current.status !== undefined ? { status: current.status } : {}),
  };
}

export function mergeApplied(
  live: unknown,
  applied: unknown,
  lookup: ListLookup,
  path: string[],
): unknown {
  if (isPlainObject(applied)) {
    const out: Record<string, unknown> = isPlainObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      out[k] = v === null ? null : mergeApplied(out[k], v, lookup, [...path, k]);
    }
    return out;
  }
  if (!Array.isArray(applied)) return applied;
  const sem = lookup(path);
  const base = Array.isArray(live) ? [...live] : [];
  if (!sem || sem.listType === 'atomic') return cloneJson(applied);
  if (sem.listType === 'set') {
    for (const v of applied)
      if (!base.some((b) => JSON.stringify(b) === JSON.stringify(v))) base.push(v);
    return base;
  }
  const keys = sem.keys ?? [];
  for (const item of applied) {
    if (!isPlainObject(item)) continue;
    const at = base.findIndex(
      (b) =>
        isPlainObject(b) && keys.every((k) => JSON.stringify(b[k]) === JSON.stringify(item[k])),
    );
    if (at >= 0) base[at] = mergeApplied(base[at], item, lookup, path);
    else base.push(cloneJson(item));
  }
  return base;
}

function conflictError(
  conflicts: { manager: string; apiVersion: string; path: string[] }[],
): StatusError {
  const lines = conflicts.map(
    (c) =>
      `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}: ${describePath(c.path)}`,
  );
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${lines[0]}`
      : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  return new StatusError('Conflict', message, {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`,
      field: describePath(c.path),
    })),
  });
}
