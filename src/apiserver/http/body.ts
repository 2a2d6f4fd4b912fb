import type { IncomingMessage } from 'node:http';
import YAML from 'yaml';
import { StatusError, badRequest } from '../errors.ts';

// Request bodies: read with a size limit, decoded by Content-Type. Every failure is a
// StatusError a person can act on.

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** No Kubernetes object nests anywhere near this deep; deeper is hostile. */
export const MAX_NESTING = 1000;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): StatusError {
  return new StatusError(
    'RequestEntityTooLarge',
    `the request body is too large: the limit is ${limit} bytes`,
  );
}

/** The media type without parameters, lower case; absent means JSON (kubectl's scale PUT). */
export function mediaType(req: IncomingMessage): string {
  const raw = req.headers['content-type'];
  if (!raw) return 'application/json';
  return raw.split(';')[0]!.trim().toLowerCase();
}

/** Parses JSON, reporting line and column of a syntax error. Must be an object. */
export function parseJsonObject(body: Buffer, what = 'request body'): Record<string, unknown> {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding ${what}: ${describeJsonError(text, err)}`);
  }
  return requireObject(checkDepth(value, what, text.length), what);
}

export function parseJsonValue(body: Buffer, what = 'request body'): unknown {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding ${what}: ${describeJsonError(text, err)}`);
  }
  return checkDepth(value, what, text.length);
}

/** Refuses values nested deeper than MAX_NESTING. */
function checkDepth<T>(value: T, what: string, textLength = Infinity): T {
  // Each level takes an opening and a closing bracket, so a short text cannot be deep.
  if (textLength <= 2 * MAX_NESTING) return value;
  if (tooDeep(value, 1)) {
    throw badRequest(`error decoding ${what}: nested deeper than ${MAX_NESTING} levels`);
  }
  return value;
}

function tooDeep(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (depth > MAX_NESTING) return true;
  if (Array.isArray(v)) {
    for (const item of v) if (tooDeep(item, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (tooDeep((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

export function parseYamlObject(body: Buffer, what = 'request body'): Record<string, unknown> {
  let value: unknown;
  try {
    const doc = YAML.parseDocument(body.toString('utf8'), { uniqueKeys: true });
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw badRequest(`error decoding ${what}: invalid YAML: ${message}`);
  }
  return requireObject(checkDepth(value, what), what);
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw badRequest(`error decoding ${what}: expected a JSON object, got ${got}`);
  }
  return value as Record<string, unknown>;
}

function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  if (!m) return `invalid JSON: ${message}`;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}
