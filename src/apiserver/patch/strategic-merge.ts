import { badRequest } from '../errors.ts';
import { isPlainObject } from './merge-patch.ts';

// Strategic merge patch, as kubectl apply and kubectl patch --type strategic send it:
// lists of objects merge by their merge key (containers by name, ports by containerPort…)
// where the schema says so, primitive lists with strategy merge are unions, and the
// directives $patch (replace/delete/merge), $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list> steer the merge. Where the schema says nothing, lists
// are replaced and maps merge (JSON merge patch semantics).

export interface PatchMeta {
  /** `merge`, `retainKeys`, `merge,retainKeys`, `replace`; absent = replace lists. */
  strategy?: string;
  mergeKey?: string;
}

/** Patch metadata of the field at `path` (field names from the root; list items add no step). */
export type PatchMetaLookup = (path: string[]) => PatchMeta | undefined;

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(
  original: unknown,
  patch: unknown,
  lookup: PatchMetaLookup,
): unknown {
  if (!isPlainObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return mergeMap(isPlainObject(original) ? original : {}, patch, [], lookup);
}

function mergeMap(
  original: Record<string, unknown>,
  patch: Record<string, unknown>,
  path: string[],
  lookup: PatchMetaLookup,
): Record<string, unknown> {
  const directive = patch.$patch;
  if (directive === 'replace')
    return stripDirectives(withoutKey(patch, '$patch')) as Record<string, unknown>;
  if (directive !== undefined && directive !== 'merge' && directive !== 'delete') {
    throw badRequest(
      `Unknown patch type: ${JSON.stringify(directive)} in map: only replace, merge and delete are allowed`,
    );
  }
  let out: Record<string, unknown> = { ...original };
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('$retainKeys must be a list of field names');
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER) || key.startsWith(DELETE_PRIMITIVE)) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const childPath = [...path, key];
    if (isPlainObject(value)) {
      if (value.$patch === 'delete') {
        delete out[key];
        continue;
      }
      out[key] = mergeMap(
        isPlainObject(out[key]) ? (out[key] as Record<string, unknown>) : {},
        value,
        childPath,
        lookup,
      );
    } else if (Array.isArray(value)) {
      out[key] = mergeList(out[key], value, childPath, lookup);
    } else {
      out[key] = value;
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(value)) throw badRequest(`${key} must be a list`);
      if (Array.isArray(out[field]))
        out[field] = (out[field] as unknown[]).filter((v) => !value.includes(v));
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(SET_ORDER)) {
      const field = key.slice(SET_ORDER.length);
      if (!Array.isArray(value)) throw badRequest(`${key} must be a list`);
      if (Array.isArray(out[field])) {
        out[field] = reorder(out[field] as unknown[], value, lookup([...path, field])?.mergeKey);
      }
    }
  }
  return out;
}

function mergeList(
  original: unknown,
  patch: unknown[],
  path: string[],
  lookup: PatchMetaLookup,
): unknown[] {
  const meta = lookup(path);
  const strategy = meta?.strategy ?? '';
  const replaceAll = patch.find(
    (p) => isPlainObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1,
  );
  if (replaceAll) return stripDirectives(patch.filter((p) => p !== replaceAll)) as unknown[];
  if (!strategy.split(',').includes('merge')) return stripDirectives(patch) as unknown[];
  const base = Array.isArray(original) ? [...original] : [];
  if (!meta?.mergeKey || patch.every((p) => !isPlainObject(p))) {
    // A set of primitives: union, keeping order.
    for (const item of patch) if (!base.some((b) => b === item)) base.push(item);
    return base;
  }
  const key = meta.mergeKey;
  for (const item of patch) {
    if (!isPlainObject(item))
      throw badRequest(`list ${path.join('.')} merges on "${key}", so its items must be objects`);
    const id = item[key];
    const at = base.findIndex((b) => isPlainObject(b) && b[key] === id);
    if (item.$patch === 'delete') {
      if (at >= 0) base.splice(at, 1);
      continue;
    }
    if (id === undefined)
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (at >= 0) base[at] = mergeMap(base[at] as Record<string, unknown>, item, path, lookup);
    else base.push(mergeMap({}, item, path, lookup));
  }
  return base;
}

function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const idOf = (v: unknown) => (mergeKey && isPlainObject(v) ? v[mergeKey] : v);
  const wanted = order.map(idOf);
  const listed = wanted.flatMap((id) => list.filter((v) => idOf(v) === id));
  const rest = list.filter((v) => !wanted.includes(idOf(v)));
  return [...listed, ...rest];
}

function withoutKey(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = obj;
  return rest;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('$'))
      .map(([k, v]) => [k, stripDirectives(v)]),
  );
}
