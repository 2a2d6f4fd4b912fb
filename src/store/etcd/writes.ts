import type { ICompare, IKeyValue, KVClient } from 'etcd3';
import { StoreError, type KeyValue } from '../types.ts';
import { keyBytes, revisionOf } from './keys.ts';

// The three conditional writes, each one etcd transaction so that the check and the write
// happen at one revision. `lease` is the etcd lease to attach, or undefined for none
// (which also takes a key off any lease it had, as a TTL applies to one write only).

/** Present keys have version >= 1; an absent key compares as version 0, mod revision 0. */
function exists(key: Buffer): ICompare {
  return { key, target: 'Version', result: 'Greater', version: 0 };
}

function modRevisionIs(key: Buffer, modRevision: number): ICompare {
  return { key, target: 'Mod', result: 'Equal', mod_revision: modRevision };
}

export async function createKey(
  kv: KVClient,
  key: string,
  value: Buffer,
  lease: string | undefined,
): Promise<number> {
  const k = keyBytes(key);
  const res = await kv.txn({
    compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
    success: [{ request_put: { key: k, value, lease: lease ?? 0 } }],
  });
  if (!res.succeeded) throw new StoreError('KeyExists', `${key} already exists`);
  return revisionOf(res.header.revision);
}

/** Turns a raw etcd value into a KeyValue (which needs its lease's TTL looked up). */
export type ToKeyValue = (kv: IKeyValue) => Promise<KeyValue>;

export async function updateKey(
  kv: KVClient,
  key: string,
  value: Buffer,
  expectedModRevision: number,
  lease: string | undefined,
  ttlSeconds: number,
  toKeyValue: ToKeyValue,
): Promise<KeyValue> {
  const k = keyBytes(key);
  const res = await kv.txn({
    compare: [exists(k), modRevisionIs(k, expectedModRevision)],
    // A range after a put in one transaction sees the put: it reads back the key's new
    // create revision and version without sending the value again.
    success: [
      { request_put: { key: k, value, lease: lease ?? 0 } },
      { request_range: { key: k, keys_only: true } },
    ],
    failure: [{ request_range: { key: k } }],
  });
  if (!res.succeeded) {
    const current = res.responses[0]?.response_range?.kvs;
    throw await absentOrConflict(current, key, expectedModRevision, toKeyValue);
  }
  const written = res.responses[1]?.response_range?.kvs[0];
  if (!written) throw new Error(`etcd did not read back ${key} after writing it`);
  return {
    key,
    value,
    createRevision: revisionOf(written.create_revision),
    modRevision: revisionOf(written.mod_revision),
    version: revisionOf(written.version),
    ttlSeconds,
  };
}

export async function deleteKey(
  kv: KVClient,
  key: string,
  expectedModRevision: number | undefined,
  toKeyValue: ToKeyValue,
): Promise<{ revision: number; prev: KeyValue }> {
  const k = keyBytes(key);
  const compare = [exists(k)];
  if (expectedModRevision !== undefined) compare.push(modRevisionIs(k, expectedModRevision));
  const res = await kv.txn({
    compare,
    success: [{ request_delete_range: { key: k, prev_kv: true } }],
    failure: [{ request_range: { key: k } }],
  });
  if (!res.succeeded) {
    const current = res.responses[0]?.response_range?.kvs;
    throw await absentOrConflict(current, key, expectedModRevision, toKeyValue);
  }
  const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
  if (!prev) throw new Error(`etcd did not return the value of ${key} it deleted`);
  return { revision: revisionOf(res.header.revision), prev: await toKeyValue(prev) };
}

async function absentOrConflict(
  kvs: IKeyValue[] | undefined,
  key: string,
  expectedModRevision: number | undefined,
  toKeyValue: ToKeyValue,
): Promise<StoreError> {
  const found = kvs?.[0];
  if (!found) return new StoreError('NotFound', `${key} not found`);
  const current = await toKeyValue(found);
  return new StoreError(
    'Conflict',
    `${key} has modRevision ${current.modRevision}, not the expected ${expectedModRevision}`,
    { current },
  );
}
