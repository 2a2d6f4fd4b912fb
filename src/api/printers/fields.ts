// Defensive readers for plain-JSON objects. Printers must never throw on a half-written
// object, so every accessor answers the Go zero value ('' / 0 / {} / []) when a field is
// missing or has the wrong JSON type.

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The object at `value`, or an empty one. */
export function rec(value: unknown): Json {
  return isRecord(value) ? value : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The array at `value` with every element read as an object. */
export function recs(value: unknown): Json[] {
  return list(value).map(rec);
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** An integer field; Go truncates, and missing fields are 0. */
export function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** Whether an optional (pointer) field is set, i.e. present and not null. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** An optional integer: undefined when unset or not a number. */
export function optInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : undefined;
}

/** A string-to-string map such as labels; non-primitive values are skipped. */
export function strMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(value))) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = `${v}`;
  }
  return out;
}

/** Number of keys of a map-typed field (e.g. ConfigMap data). */
export function keyCount(value: unknown): number {
  return Object.keys(rec(value)).length;
}

/** `metadata` of an object, read defensively. */
export function meta(obj: unknown): Json {
  return rec(rec(obj).metadata);
}

export function nameOf(obj: unknown): string {
  return str(meta(obj).name);
}

/** Whether metadata.deletionTimestamp is set. */
export function isDeleting(obj: unknown): boolean {
  const ts = meta(obj).deletionTimestamp;
  return typeof ts === 'string' && ts !== '';
}
