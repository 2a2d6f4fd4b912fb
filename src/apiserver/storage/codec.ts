import type { KeyValue } from '../../store/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { rememberJson } from './serialized.ts';

// Objects are stored as JSON without metadata.resourceVersion: the store's modRevision is
// the resourceVersion, set when an object is read back (as Kubernetes does with etcd).
// Reading one back also yields its JSON for the wire, without serializing it again.

export function encodeObject(obj: KubeObject): Buffer {
  return Buffer.from(storedJson(obj));
}

/** The JSON text encodeObject stores. */
export function storedJson(obj: KubeObject): string {
  const meta = obj.metadata;
  if (meta && 'resourceVersion' in meta) {
    const { resourceVersion: _drop, ...rest } = meta;
    return JSON.stringify({ ...obj, metadata: rest });
  }
  return JSON.stringify(obj);
}

// What a writer of this process stored, by the very Buffer it handed the store: the watch
// cache takes the writer's object when that write's event comes back, instead of parsing
// the JSON the writer has just produced. Events from elsewhere (another API server on the
// same etcd) carry other Buffers and are decoded.
const written = new WeakMap<Buffer, { obj: KubeObject; json: string }>();

/**
 * The value to store for `obj`, which its writer hands over: from the moment it is
 * stored it may be shared with the watch cache and must not change (it is frozen, its
 * metadata too, when the cache takes it).
 */
export function encodeWritten(obj: KubeObject): { value: Buffer; json: string } {
  const json = storedJson(obj);
  const value = Buffer.from(json);
  written.set(value, { obj, json });
  return { value, json };
}

/**
 * After its write: the object gets its resourceVersion (unless the watch cache, taking
 * it, already set it) and its JSON for the wire, so that the answer to the writer is
 * not serialized again.
 */
export function settleWritten(obj: KubeObject, json: string, revision: number): void {
  const resourceVersion = String(revision);
  // The watch cache usually takes the object before its writer resumes (takeWritten):
  // then it is settled and frozen already, its JSON recorded.
  if (Object.isFrozen(obj) && obj.metadata?.resourceVersion === resourceVersion) return;
  const meta = (obj.metadata ??= {});
  if (meta.resourceVersion !== resourceVersion) meta.resourceVersion = resourceVersion;
  const wire = withResourceVersion(json, resourceVersion);
  if (wire !== undefined) rememberJson(obj, wire);
}

/** The writer's object for a write event of this process, set as the cache holds it. */
function takeWritten(kv: KeyValue): KubeObject | undefined {
  const w = written.get(kv.value);
  if (!w) return undefined;
  written.delete(kv.value);
  settleWritten(w.obj, w.json, kv.modRevision);
  Object.freeze(w.obj.metadata);
  return Object.freeze(w.obj);
}

export function decodeObject(kv: KeyValue): KubeObject {
  return decode(kv, false);
}

/**
 * decodeObject for the watch cache, whose objects never change: their JSON for the wire
 * is the stored text with the resourceVersion spliced in, remembered for jsonOf, instead
 * of a second serialization of the object.
 */
export function decodeCachedObject(kv: KeyValue): KubeObject {
  return takeWritten(kv) ?? decode(kv, true);
}

function decode(kv: KeyValue, remember: boolean): KubeObject {
  const text = kv.value.toString('utf8');
  const obj = JSON.parse(text) as KubeObject;
  const resourceVersion = String(kv.modRevision);
  const meta = obj.metadata;
  if (!meta || 'resourceVersion' in meta) {
    obj.metadata = { ...(meta ?? {}), resourceVersion };
    return obj;
  }
  // First in metadata, so that the object's JSON is the stored text with the field
  // spliced in: JSON.stringify(JSON.parse(t)) is t for any t JSON.stringify wrote.
  obj.metadata = { resourceVersion, ...meta };
  if (remember) {
    const json = withResourceVersion(text, resourceVersion);
    if (json !== undefined) rememberJson(obj, json);
  }
  return obj;
}

const METADATA = '"metadata":{';

/** `text` with `"resourceVersion":"<rv>"` first in its top-level metadata, if found. */
export function withResourceVersion(text: string, resourceVersion: string): string | undefined {
  const at = text.indexOf(METADATA);
  if (at < 0 || !isTopLevelField(text, at)) return undefined;
  const open = at + METADATA.length;
  const field = `"resourceVersion":"${resourceVersion}"`;
  const rest = text.slice(open);
  return `${text.slice(0, open)}${field}${rest.startsWith('}') ? '' : ','}${rest}`;
}

/** Whether position `at` of a JSON text is a key of the outermost object, not deeper. */
function isTopLevelField(text: string, at: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return depth === 1 && !inString;
}

/** The store key of an object: `<prefix><namespace>/<name>` or `<prefix><name>`. */
export function objectKey(prefix: string, namespace: string, name: string): string {
  return namespace ? `${prefix}${namespace}/${name}` : `${prefix}${name}`;
}
