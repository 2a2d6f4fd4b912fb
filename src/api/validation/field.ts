// Field paths and error constructors, shaped on apimachinery's util/validation/field.
//
// Paths are plain strings in field.Path's String() form: children joined with '.',
// list indexes and map keys in brackets without quotes (`metadata.annotations[a/b]`).
// The root path `field.NewPath("")` prints as `[]`, which Kubernetes really emits (e.g.
// `[]: Too long` for an oversized ConfigMap), so it is kept as ROOT.

import type { FieldError } from '../types.ts';

/**
 * apimachinery also has NotFound (`Not found: "vol"`), which FieldError['type'] lacks;
 * errors of that type are carried with a cast and printed correctly by formatFieldErrors.
 */
export type ErrorType = FieldError['type'] | 'FieldValueNotFound';

export type ErrorList = FieldError[];

export const ROOT = '[]';

export function child(base: string, ...names: string[]): string {
  let out = base;
  for (const name of names) out = out === '' ? name : `${out}.${name}`;
  return out;
}

export function index(base: string, i: number): string {
  return `${base}[${i}]`;
}

export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}

function make(type: ErrorType, field: string, value: unknown, detail: string): FieldError {
  const err: FieldError = { type: type as FieldError['type'], field };
  if (value !== undefined) err.value = value;
  if (detail !== '') err.detail = detail;
  return err;
}

/** Value omitted from the message, as field.omitValue / field.OmitValueType{}. */
export const OMIT = Symbol('omit');

export function required(field: string, detail = ''): FieldError {
  return make('FieldValueRequired', field, undefined, detail);
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value: value ?? null, ...(detail ? { detail } : {}) };
}

export function forbidden(field: string, detail: string): FieldError {
  return make('FieldValueForbidden', field, undefined, detail);
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value: value ?? null };
}

export function notFound(field: string, value: unknown, detail = ''): FieldError {
  const err = make('FieldValueNotFound', field, undefined, detail);
  err.value = value ?? null;
  return err;
}

/** Go's strconv.Quote for the `supported values` list. */
function quoteSimple(s: string): string {
  return JSON.stringify(s);
}

export function notSupported(field: string, value: unknown, supported: string[]): FieldError {
  const err: FieldError = { type: 'FieldValueNotSupported', field, value: value ?? null };
  if (supported.length > 0) {
    err.supported = supported;
    err.detail = 'supported values: ' + supported.map(quoteSimple).join(', ');
  }
  return err;
}

/** TooLong as apimachinery prints it since 1.30: the value is never shown. */
export function tooLong(field: string, maxBytes: number): FieldError {
  return make('FieldValueTooLong', field, undefined, `must have at most ${maxBytes} bytes`);
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field, value: actual >= 0 ? actual : OMIT, detail };
}

export function internalError(field: string, detail: string): FieldError {
  return make('InternalError', field, undefined, detail);
}

// --- small JSON accessors shared by every validator -------------------------------------

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objs(v: unknown): Obj[] {
  return arr(v).map((x) => (isObj(x) ? x : {}));
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function sortedKeys(v: unknown): string[] {
  return isObj(v) ? Object.keys(v).sort() : [];
}

/** Deep equality of JSON values, as apiequality.Semantic.DeepEqual for defaulted objects. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
