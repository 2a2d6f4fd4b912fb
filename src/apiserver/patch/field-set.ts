import { isPlainObject } from './merge-patch.ts';

// Field sets as server-side apply tracks them (structured-merge-diff's fieldpath.Set) and
// their FieldsV1 JSON form: `{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},
// "f:image":{}}}}}`. Map fields are `f:<name>`, items of a list keyed by fields
// `k:<json of the keys>`, items of a set `v:<json value>`; `.` marks the item itself.

export interface ListSemantics {
  listType: 'atomic' | 'set' | 'map';
  keys?: string[];
}

/** List semantics of the field at `path` (field names only; list items add no step). */
export type ListLookup = (path: string[]) => ListSemantics | undefined;

/** Orders entries by element, as FieldsV1 is written (no destructuring: it is hot). */
const byElement = (x: [string, unknown], y: [string, unknown]) =>
  x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;

/** A tree of path elements; an empty node is a leaf (the field itself). */
export type FieldSet = Map<string, FieldSet>;

export function keyElement(item: Record<string, unknown>, keys: string[]): string {
  const picked: Record<string, unknown> = {};
  for (const k of [...keys].sort()) picked[k] = item[k];
  return `k:${JSON.stringify(picked)}`;
}

/** The fields an object sets. */
export function fieldSetOf(
  value: Record<string, unknown>,
  lookup: ListLookup,
  path: string[] = [],
): FieldSet {
  const set: FieldSet = new Map();
  for (const [name, child] of Object.entries(value)) {
    if (child === undefined) continue;
    set.set(`f:${name}`, childSet(child, lookup, [...path, name]));
  }
  return set;
}

function childSet(value: unknown, lookup: ListLookup, path: string[]): FieldSet {
  if (isPlainObject(value)) return fieldSetOf(value, lookup, path);
  if (!Array.isArray(value)) return new Map();
  const sem = lookup(path);
  if (!sem || sem.listType === 'atomic') return new Map();
  const set: FieldSet = new Map();
  for (const item of value) {
    if (sem.listType === 'set') {
      set.set(`v:${JSON.stringify(item)}`, new Map());
    } else if (isPlainObject(item) && sem.keys?.length) {
      const inner = fieldSetOf(item, lookup, path);
      inner.set('.', new Map());
      set.set(keyElement(item, sem.keys), inner);
    }
  }
  return set;
}

/**
 * toFieldsV1(fieldSetOf(value, lookup)) in one walk, without the set in between: what a
 * create records for its manager, on every create. `path` is a stack the walk pushes on
 * and pops, so `lookup` must not keep it.
 */
export function fieldsV1Of(
  value: Record<string, unknown>,
  lookup: ListLookup,
  path: string[] = [],
): Record<string, unknown> {
  const entries: [string, Record<string, unknown>][] = [];
  for (const name of Object.keys(value)) {
    const child = value[name];
    if (child === undefined) continue;
    path.push(name);
    entries.push([`f:${name}`, childFieldsV1(child, lookup, path)]);
    path.pop();
  }
  return sortedObject(entries);
}

function childFieldsV1(
  value: unknown,
  lookup: ListLookup,
  path: string[],
): Record<string, unknown> {
  if (isPlainObject(value)) return fieldsV1Of(value, lookup, path);
  if (!Array.isArray(value)) return {};
  const sem = lookup(path);
  if (!sem || sem.listType === 'atomic') return {};
  const entries: [string, Record<string, unknown>][] = [];
  for (const item of value) {
    if (sem.listType === 'set') {
      entries.push([`v:${JSON.stringify(item)}`, {}]);
    } else if (isPlainObject(item) && sem.keys?.length) {
      // The item itself, `.`, sorts before every `f:` element.
      entries.push([keyElement(item, sem.keys), { '.': {}, ...fieldsV1Of(item, lookup, path) }]);
    }
  }
  return sortedObject(entries);
}

/** Sorted by element; a repeated element keeps its last value, as a Map's set does. */
function sortedObject(entries: [string, Record<string, unknown>][]): Record<string, unknown> {
  if (entries.length > 1) entries.sort(byElement);
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? union(out.get(k)!, v) : v);
  return out;
}

/** Elements of `a` not in `b` (leaves of `b` remove whole subtrees only when `a`'s is a leaf too). */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = new Map();
  for (const [k, v] of a) {
    const other = b.get(k);
    if (other === undefined) {
      out.set(k, v);
      continue;
    }
    if (v.size === 0) continue;
    const rest = difference(v, other);
    if (rest.size > 0) out.set(k, rest);
  }
  return out;
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = new Map();
  for (const [k, v] of a) {
    const other = b.get(k);
    if (other === undefined) continue;
    if (v.size === 0 || other.size === 0) {
      if (v.size === 0 && other.size === 0) out.set(k, new Map());
      else {
        const inner = intersection(v, other);
        out.set(k, inner.size > 0 ? inner : new Map());
      }
      continue;
    }
    const inner = intersection(v, other);
    if (inner.size > 0) out.set(k, inner);
  }
  return out;
}

/** Every leaf as a path of elements. */
export function leaves(set: FieldSet, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of set) {
    if (v.size === 0) out.push([...prefix, k]);
    else out.push(...leaves(v, [...prefix, k]));
  }
  return out;
}

export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of [...set].sort(byElement)) out[k] = toFieldsV1(v);
  return out;
}

export function fromFieldsV1(json: unknown): FieldSet {
  const set: FieldSet = new Map();
  if (!isPlainObject(json)) return set;
  for (const [k, v] of Object.entries(json)) set.set(k, fromFieldsV1(v));
  return set;
}

/** `.spec.containers[name="web"].image`, as conflict messages show a path. */
export function describePath(path: string[]): string {
  return path
    .filter((e) => e !== '.')
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:')) {
        const keys = JSON.parse(e.slice(2)) as Record<string, unknown>;
        return `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
      return e;
    })
    .join('');
}
