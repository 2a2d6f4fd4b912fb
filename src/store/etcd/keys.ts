import type { IKeyValue } from 'etcd3';
import type { KeyValue } from '../types.ts';

// etcd orders and ranges keys by their bytes, so ranges are computed on the UTF-8 bytes of
// a key rather than on its UTF-16 code units.

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** The first key after every key starting with `prefix`; `\0` means "no upper bound". */
export function prefixRangeEnd(prefix: string): Buffer {
  const end = keyBytes(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i] += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** The smallest key greater than `key`. */
export function keySuccessor(key: string): Buffer {
  return Buffer.concat([keyBytes(key), Buffer.from([0])]);
}

export function revisionOf(value: string | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/**
 * Copies the value out of the response: protobufjs hands out slices of the whole gRPC
 * message, and keeping one small slice alive would keep a large list response alive.
 */
export function toKeyValue(kv: IKeyValue, ttlSeconds: number): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value ? Buffer.from(kv.value) : Buffer.alloc(0),
    createRevision: revisionOf(kv.create_revision),
    modRevision: revisionOf(kv.mod_revision),
    version: revisionOf(kv.version),
    ttlSeconds,
  };
}

/** The lease a key is attached to, or undefined for none. */
export function leaseOf(kv: IKeyValue): string | undefined {
  return kv.lease && kv.lease !== '0' ? String(kv.lease) : undefined;
}
