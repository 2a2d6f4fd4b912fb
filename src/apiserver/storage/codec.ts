import type { KeyValue } from '../../store/index.ts';
import type { KubeObject } from '../../api/index.ts';

// Objects are stored as JSON without metadata.resourceVersion: the store's modRevision is
// the resourceVersion, set when an object is read back (as Kubernetes does with etcd).

export function encodeObject(obj: KubeObject): Buffer {
  const meta = obj.metadata;
  if (meta && 'resourceVersion' in meta) {
    const { resourceVersion: _drop, ...rest } = meta;
    return Buffer.from(JSON.stringify({ ...obj, metadata: rest }));
  }
  return Buffer.from(JSON.stringify(obj));
}

export function decodeObject(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value.toString('utf8')) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(kv.modRevision) };
  return obj;
}

/** The store key of an object: `<prefix><namespace>/<name>` or `<prefix><name>`. */
export function objectKey(prefix: string, namespace: string, name: string): string {
  return namespace ? `${prefix}${namespace}/${name}` : `${prefix}${name}`;
}
