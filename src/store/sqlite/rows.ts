import type { KeyValue } from '../types.ts';

/** A key's row as the queries select it: `kv` joined with its value in `log`. */
export interface KvRow {
  key: string;
  mod_rev: number;
  create_rev: number;
  version: number;
  ttl: number;
  value: Buffer;
}

export function kvFromRow(row: KvRow): KeyValue {
  return {
    key: row.key,
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
    ttlSeconds: row.ttl,
  };
}
