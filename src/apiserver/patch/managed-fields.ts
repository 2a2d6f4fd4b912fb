import type { KubeObject } from '../../api/index.ts';
import { isPlainObject } from './merge-patch.ts';
import {
  difference,
  fieldSetOf,
  fieldsV1Of,
  fromFieldsV1,
  keyElement,
  leaves,
  toFieldsV1,
  union,
  type FieldSet,
  type ListLookup,
} from './field-set.ts';

// metadata.managedFields: which manager set which fields, by operation (Apply or Update).
// Every write with a field manager records the fields it changed under that manager and
// takes them from the others, as kube-apiserver's field manager does; apply uses the
// record to find conflicts and to remove fields an applier stopped declaring.

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** The part of an object field ownership is about (no identity, version or status). */
export function trackedPart(obj: KubeObject, subresource: string): Record<string, unknown> {
  const {
    name: _n,
    namespace: _ns,
    uid: _u,
    resourceVersion: _rv,
    generation: _g,
    creationTimestamp: _c,
    deletionTimestamp: _d,
    deletionGracePeriodSeconds: _dg,
    managedFields: _mf,
    ...meta
  } = obj.metadata ?? {};
  const { apiVersion: _a, kind: _k, metadata: _m, status, ...rest } = obj;
  if (subresource === 'status') return status === undefined ? {} : { status };
  const out: Record<string, unknown> = { ...rest };
  if (Object.keys(meta).length > 0) out.metadata = meta;
  return out;
}

const parsedKeys = new Map<string, Record<string, unknown>>();

/** The keys of a `k:{…}` element, parsed once: the same few recur on every write. */
function keysOf(el: string): Record<string, unknown> {
  let keys = parsedKeys.get(el);
  if (!keys) {
    keys = JSON.parse(el.slice(2)) as Record<string, unknown>;
    if (parsedKeys.size > 10_000) parsedKeys.clear();
    parsedKeys.set(el, keys);
  }
  return keys;
}

/** One step of a field-set path: the field, list item or set value `el` names in `cur`. */
function stepInto(cur: unknown, el: string): unknown {
  if (el === '.') return cur;
  if (el.startsWith('f:')) return isPlainObject(cur) ? cur[el.slice(2)] : undefined;
  if (el.startsWith('k:')) {
    if (!Array.isArray(cur)) return undefined;
    const keys = Object.entries(keysOf(el));
    return cur.find((i) => isPlainObject(i) && keys.every(([k, v]) => sameJson(i[k], v)));
  }
  if (el.startsWith('v:')) {
    const v = el.slice(2);
    return Array.isArray(cur) ? cur.find((i) => JSON.stringify(i) === v) : undefined;
  }
  return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The value at a field-set path, or undefined. */
export function valueAt(root: unknown, path: string[]): unknown {
  let cur: unknown = root;
  for (const el of path) {
    cur = stepInto(cur, el);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field at `path`; an item's `.` removes the item itself. */
export function removeAt(root: Record<string, unknown>, path: string[]): void {
  const itemSelf = path[path.length - 1] === '.';
  const target = itemSelf ? path.slice(0, -1) : path;
  const parent = valueAt(root, target.slice(0, -1));
  const last = target[target.length - 1]!;
  if (last.startsWith('f:') && isPlainObject(parent)) {
    delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const item = valueAt(parent, [last]);
    const at = parent.indexOf(item);
    if (at >= 0) parent.splice(at, 1);
  }
}

export function entriesOf(obj: KubeObject): ManagedFieldsEntry[] {
  const raw = obj.metadata?.managedFields;
  return Array.isArray(raw) ? (raw as ManagedFieldsEntry[]) : [];
}

export function setOf(entry: ManagedFieldsEntry): FieldSet {
  return fromFieldsV1(entry.fieldsV1);
}

/** The leaves of `set` whose values differ between two objects (or exist in only one). */
export function changedLeaves(set: FieldSet, a: unknown, b: unknown): string[][] {
  const out: string[][] = [];
  collectChanged(set, a, b, [], out);
  return out;
}

// Walks both values alongside the set instead of from the root once per leaf; a subtree
// that is the very same value (or absent on both sides) has no changed leaf.
function collectChanged(
  set: FieldSet,
  a: unknown,
  b: unknown,
  prefix: string[],
  out: string[][],
): void {
  for (const [el, child] of set) {
    const av = a === undefined ? undefined : stepInto(a, el);
    const bv = b === undefined ? undefined : stepInto(b, el);
    if (child.size === 0) {
      // An item's `.` stands for the item being there, not for its contents: changing a
      // field inside it changes that field only (as `kubectl set image` shows).
      const changed = el === '.' ? (av === undefined) !== (bv === undefined) : !sameJson(av, bv);
      if (changed) out.push([...prefix, el]);
    } else if (av !== bv) {
      collectChanged(child, av, bv, [...prefix, el], out);
    }
  }
}

export function setFromPaths(paths: string[][]): FieldSet {
  const root: FieldSet = new Map();
  for (const p of paths) {
    let node = root;
    for (const el of p) {
      if (!node.has(el)) node.set(el, new Map());
      node = node.get(el)!;
    }
  }
  return root;
}

/**
 * Records a non-apply write: the fields that changed now belong to `manager` (operation
 * Update), and no longer to anyone else. Returns the new managedFields list.
 */
export function recordUpdate(
  current: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  lookup: ListLookup,
  time: string,
  subresource = '',
): ManagedFieldsEntry[] {
  if (!current) {
    // On a create every field set is the creator's, and there is no one else's.
    const fieldsV1 = fieldsV1Of(trackedPart(next, subresource), lookup);
    return [entryOf(manager, 'Update', next, fieldsV1, time, subresource)];
  }
  const before = trackedPart(current, subresource);
  const after = trackedPart(next, subresource);
  const afterSet = fieldSetOf(after, lookup);
  const changed = setFromPaths(changedLeaves(afterSet, before, after));
  let entries = entriesOf(current).map((e) => ({ ...e }));
  if (entries.length === 0 && !subresource) {
    // Fields that predate any tracking belong to a pseudo-manager, as in Kubernetes.
    const all = fieldSetOf(before, lookup);
    if (all.size > 0) entries.push(entry('before-first-apply', 'Update', next, all, time, ''));
  }
  if (changed.size === 0) return entries;
  entries = entries
    .map((e) =>
      e.manager === manager && e.operation === 'Update'
        ? e
        : withSet(e, difference(setOf(e), changed)),
    )
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  const mine = entries.find(
    (e) =>
      e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === subresource,
  );
  // What the manager owns is what it changed now plus what it owned and still exists.
  const kept = mine ? intersectExisting(setOf(mine), after) : new Map();
  const owned = union(kept, changed);
  const updated = entry(manager, 'Update', next, owned, time, subresource);
  return [...entries.filter((e) => e !== mine), updated];
}

function intersectExisting(set: FieldSet, obj: unknown): FieldSet {
  return setFromPaths(
    leaves(set).filter((p) => valueAt(obj, p) !== undefined || p[p.length - 1] === '.'),
  );
}

export function withSet(e: ManagedFieldsEntry, set: FieldSet): ManagedFieldsEntry {
  return { ...e, fieldsV1: toFieldsV1(set) };
}

export function entry(
  manager: string,
  operation: 'Apply' | 'Update',
  obj: KubeObject,
  set: FieldSet,
  time: string,
  subresource: string,
): ManagedFieldsEntry {
  return entryOf(manager, operation, obj, toFieldsV1(set), time, subresource);
}

function entryOf(
  manager: string,
  operation: 'Apply' | 'Update',
  obj: KubeObject,
  fieldsV1: Record<string, unknown>,
  time: string,
  subresource: string,
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion: obj.apiVersion ?? '',
    time,
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(subresource ? { subresource } : {}),
  };
}

export { keyElement };
