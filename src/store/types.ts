// The revisioned key-value store that every Kubernetes object lives in.
//
// Shaped on kine's Backend: one global revision that grows by one with every write,
// optimistic concurrency on a key's modRevision, a consistent paginated list at a
// revision, and an ordered watch that carries the previous value. The API server maps
// resourceVersion onto `revision` and the errors below onto HTTP statuses.

/** One stored key at one revision. */
export interface KeyValue {
  key: string;
  value: Buffer;
  /** Revision of the write that created this incarnation of the key. */
  createRevision: number;
  /** Revision of the last write to the key. */
  modRevision: number;
  /** Number of writes since creation, starting at 1. */
  version: number;
  /** Lease/TTL of the key, in seconds from its last write; 0 = never expires. */
  ttlSeconds: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

/**
 * One change. For `delete`, `kv` holds the key's last value with `modRevision` set to the
 * revision of the delete; `prev` is present for `update` and `delete`, except on etcd when
 * the previous revision was already compacted away when the event was read.
 */
export interface WatchEvent {
  type: WatchEventType;
  kv: KeyValue;
  prev?: KeyValue;
}

export interface WriteOptions {
  /**
   * The key is deleted (a normal, watched delete) this many seconds after the write: a
   * whole number; 0 or absent = never. etcd shares leases, so a key may outlive its TTL by
   * up to min(60 s, 10 %).
   */
  ttlSeconds?: number;
}

export interface ListOptions {
  /** Return at most this many keys; 0 or absent = all. */
  limit?: number;
  /**
   * Opaque token from a previous page; the page continues at that page's revision (the
   * token's revision wins over `revision`). A token from another prefix is InvalidContinue.
   */
  continue?: string;
  /** List as of this revision; absent or 0 = the current revision. */
  revision?: number;
}

export interface ListResult {
  /** The revision the list is consistent at. */
  revision: number;
  kvs: KeyValue[];
  /** Token for the next page, absent when this is the last page. */
  continue?: string;
  /** Keys left after this page (only when `continue` is set). */
  remaining?: number;
}

export interface WatchOptions {
  signal?: AbortSignal;
}

/**
 * A watch: an ordered stream of event batches for every change with revision >
 * `afterRevision`, with no gap and no duplicate. Iteration throws StoreError 'Compacted'
 * when `afterRevision` is older than the compacted revision (at once, or later if the
 * watcher fell too far behind). Aborting the signal or breaking out of the loop ends it.
 */
export type WatchStream = AsyncIterable<WatchEvent[]>;

export interface Backend {
  /** The registered driver name: 'sqlite', 'etcd'. */
  readonly name: string;

  currentRevision(): Promise<number>;
  /** The newest revision that has been compacted away; 0 when none. */
  compactedRevision(): Promise<number>;

  /** The key's current value, or null. */
  get(key: string): Promise<KeyValue | null>;
  /** Fails with KeyExists when the key is present. Returns the new revision. */
  create(key: string, value: Buffer, opts?: WriteOptions): Promise<number>;
  /**
   * Fails with NotFound when the key is absent and with Conflict (carrying the current
   * value) when its modRevision is not `expectedModRevision`. Returns the new value.
   */
  update(
    key: string,
    value: Buffer,
    expectedModRevision: number,
    opts?: WriteOptions,
  ): Promise<KeyValue>;
  /**
   * Deletes the key; with `expectedModRevision`, only if it still matches (Conflict
   * otherwise). Fails with NotFound when absent. Returns the revision of the delete and
   * the value that was deleted.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }>;

  /** Keys starting with `prefix`, in key order, consistent at one revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of keys starting with `prefix` at the current revision. */
  count(prefix: string): Promise<{ revision: number; count: number }>;
  watch(prefix: string, afterRevision: number, opts?: WatchOptions): WatchStream;

  /** Forget history up to and including `revision`. Idempotent. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

/** What every value may weigh at most, as etcd's default request limit. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

export type StoreErrorCode =
  | 'KeyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Compacted'
  | 'FutureRevision'
  | 'ValueTooLarge'
  | 'InvalidContinue'
  | 'Unavailable';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** For Conflict: the key's current value. */
  readonly current?: KeyValue;
  /** For Compacted: the revision the store is compacted to. */
  readonly compactedRevision?: number;

  constructor(
    code: StoreErrorCode,
    message: string,
    extra: { current?: KeyValue; compactedRevision?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'StoreError';
    this.code = code;
    this.current = extra.current;
    this.compactedRevision = extra.compactedRevision;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export function checkValueSize(key: string, value: Buffer): void {
  if (value.length > MAX_VALUE_BYTES) {
    throw new StoreError(
      'ValueTooLarge',
      `value for ${key} is ${value.length} bytes, over the limit of ${MAX_VALUE_BYTES} bytes`,
    );
  }
}
