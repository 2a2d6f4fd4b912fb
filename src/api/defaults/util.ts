// Small helpers for filling defaults into JSON objects in place. Every helper only fills
// what is absent (undefined or null), so applying defaults twice changes nothing.

import { formatQuantity, roundUpQuantity, tryParseQuantity } from '../validation/index.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isAbsent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Sets `o[k] = value` unless already present. */
export function setDefault(o: Obj, k: string, value: unknown): void {
  if (isAbsent(o[k])) o[k] = value;
}

/** Sets `o[k] = value` unless present and non-empty (for Go fields defaulted when ""). */
export function setDefaultIfEmpty(o: Obj, k: string, value: unknown): void {
  if (isAbsent(o[k]) || o[k] === '') o[k] = value;
}

/** The object at `o[k]`, created empty when absent. */
export function child(o: Obj, k: string): Obj {
  if (!isObj(o[k])) o[k] = {};
  return o[k] as Obj;
}

/** The object at `o[k]` when it is one. */
export function maybe(o: Obj | undefined, k: string): Obj | undefined {
  return o && isObj(o[k]) ? (o[k] as Obj) : undefined;
}

export function each(v: unknown, fn: (o: Obj) => void): void {
  if (Array.isArray(v)) for (const x of v) if (isObj(x)) fn(x);
}

/** Canonical text of a Quantity field, left alone when it does not parse. */
export function canonicalizeQuantity(o: Obj, k: string): void {
  const q = tryParseQuantity(o[k]);
  if (q) o[k] = formatQuantity(q);
}

/**
 * SetDefaults_ResourceList: every quantity rounded up to milli precision (0.1m → 1m) and
 * stored in canonical form, as the API server serializes it.
 */
export function defaultResourceList(v: unknown): void {
  if (!isObj(v)) return;
  for (const k of Object.keys(v)) {
    const q = tryParseQuantity(v[k]);
    if (q) v[k] = formatQuantity(roundUpQuantity(q, -3));
  }
}
