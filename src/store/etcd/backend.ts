import { circuitBreaker, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import {
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCCancelledError,
  isRecoverableError,
  type IKeyValue,
  type IOptions,
} from 'etcd3';
import { decodeContinue, encodeContinue } from '../continue-token.ts';
import {
  StoreError,
  checkValueSize,
  type Backend,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
} from '../types.ts';
import { CompactionTracker } from './compaction.ts';
import { isCompactedError, mapEtcdError } from './errors.ts';
import { keyBytes, keySuccessor, leaseOf, prefixRangeEnd, revisionOf, toKeyValue } from './keys.ts';
import { LeaseManager, validateTtl } from './lease.ts';
import { watchPrefix, type WatchDeps } from './watch.ts';
import { createKey, deleteKey, updateKey } from './writes.ts';

export const ETCD_DRIVER = 'etcd';

export interface EtcdBackendOptions {
  /** Deadline of each request (not of watches); default 30 s. */
  requestTimeoutMs?: number;
  /** How long a watch retries a lost stream before it fails with Unavailable; default 30 s. */
  watchReconnectTimeoutMs?: number;
}

type GlobalPolicy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3 retries every "recoverable" error by default, writes included, and a retried
// transaction whose first attempt was applied would report KeyExists or Conflict for the
// caller's own write. So the client does not retry; callers see Unavailable and decide.
const NO_RETRY = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as GlobalPolicy;

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

// The per-host circuit breaker stays (three failures in a row take a host out for 5 s):
// it is what moves calls to another host. But etcd3's default counts a cancelled call as
// a host failure, and ending a watch cancels its stream, so a few watches ending in a row
// took the only host out and failed every request for 5 s. Cancellation says nothing
// about the host.
const hostBreaker = (): HostPolicy =>
  circuitBreaker(
    handleWhen((err) => isRecoverableError(err) && !(err instanceof GRPCCancelledError)),
    { halfOpenAfter: 5_000, breaker: new ConsecutiveBreaker(3) },
  ) as unknown as HostPolicy;

/** A key no wharf object uses: reads of it are the cheapest way to learn the revision. */
const REVISION_PROBE_KEY = Buffer.from([0]);

export class EtcdBackend implements Backend {
  readonly name = ETCD_DRIVER;
  readonly #hosts: readonly string[];
  readonly #client: Etcd3;
  readonly #leases: LeaseManager;
  readonly #compaction: CompactionTracker;
  readonly #watchDeps: WatchDeps;
  readonly #closing = new AbortController();

  /** `hosts` are URLs such as `http://127.0.0.1:2379`. */
  constructor(hosts: readonly string[], opts: EtcdBackendOptions = {}) {
    const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#hosts = hosts;
    this.#client = new Etcd3({
      hosts: [...hosts],
      grpcOptions: {
        // A page of many values of up to MAX_VALUE_BYTES each is far over gRPC's 4 MiB.
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': -1,
        // Notice a dead server under an idle watch.
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      },
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs },
      faultHandling: { global: NO_RETRY, host: hostBreaker },
    });
    this.#leases = new LeaseManager(this.#client.leaseClient);
    this.#compaction = new CompactionTracker(this.#client.kv);
    this.#watchDeps = {
      client: this.#client.watchClient,
      leases: this.#leases,
      compaction: this.#compaction,
      hosts,
      closed: this.#closing.signal,
      reconnectTimeoutMs: opts.watchReconnectTimeoutMs ?? 30_000,
    };
  }

  currentRevision(): Promise<number> {
    return this.#call(async () => {
      const res = await this.#client.kv.range({ key: REVISION_PROBE_KEY, count_only: true });
      return revisionOf(res.header.revision);
    });
  }

  compactedRevision(): Promise<number> {
    return this.#call(() => this.#compaction.current());
  }

  get(key: string): Promise<KeyValue | null> {
    return this.#call(async () => {
      const res = await this.#client.kv.range({ key: keyBytes(key) });
      const kv = res.kvs[0];
      return kv ? this.#toKeyValue(kv) : null;
    });
  }

  async create(key: string, value: Buffer, opts: WriteOptions = {}): Promise<number> {
    checkValueSize(key, value);
    const ttlSeconds = validateTtl(opts.ttlSeconds);
    return this.#withLease(ttlSeconds, (lease) => createKey(this.#client.kv, key, value, lease));
  }

  async update(
    key: string,
    value: Buffer,
    expectedModRevision: number,
    opts: WriteOptions = {},
  ): Promise<KeyValue> {
    checkValueSize(key, value);
    const ttlSeconds = validateTtl(opts.ttlSeconds);
    return this.#withLease(ttlSeconds, (lease) =>
      updateKey(this.#client.kv, key, value, expectedModRevision, lease, ttlSeconds, (kv) =>
        this.#toKeyValue(kv),
      ),
    );
  }

  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.#call(() =>
      deleteKey(this.#client.kv, key, expectedModRevision, (kv) => this.#toKeyValue(kv)),
    );
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`list limit must be a whole number >= 0, not ${limit}`);
    }
    let revision = opts.revision ?? 0;
    let start = keyBytes(prefix);
    if (opts.continue) {
      const position = decodeContinue(opts.continue);
      if (!position.afterKey.startsWith(prefix)) {
        throw new StoreError('InvalidContinue', `continue key is not valid for ${prefix}`);
      }
      revision = position.revision;
      start = keySuccessor(position.afterKey);
    }
    const res = await this.#read(revision, () =>
      this.#client.kv.range({ key: start, range_end: prefixRangeEnd(prefix), revision, limit }),
    );
    // The first page is read at the newest revision; every later page at that one.
    const at = revision > 0 ? revision : revisionOf(res.header.revision);
    const kvs = await this.#call(() => Promise.all(res.kvs.map((kv) => this.#toKeyValue(kv))));
    const last = kvs[kvs.length - 1];
    if (!res.more || !last) return { revision: at, kvs };
    return {
      revision: at,
      kvs,
      continue: encodeContinue({ revision: at, afterKey: last.key }),
      remaining: Number(res.count) - kvs.length,
    };
  }

  count(prefix: string): Promise<{ revision: number; count: number }> {
    return this.#call(async () => {
      const res = await this.#client.kv.range({
        key: keyBytes(prefix),
        range_end: prefixRangeEnd(prefix),
        count_only: true,
      });
      return { revision: revisionOf(res.header.revision), count: Number(res.count) };
    });
  }

  watch(prefix: string, afterRevision: number, opts: WatchOptions = {}): WatchStream {
    return watchPrefix(this.#watchDeps, prefix, afterRevision, opts.signal);
  }

  async compact(revision: number): Promise<void> {
    if (revision <= 0) return;
    return this.#call(() => this.#compaction.compact(revision));
  }

  /** Closes the connections; watches still running end as if their signal was aborted. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#client.close();
  }

  async #toKeyValue(kv: IKeyValue): Promise<KeyValue> {
    return toKeyValue(kv, await this.#leases.ttlOf(leaseOf(kv)));
  }

  /** Runs a write with the lease for `ttlSeconds` (none for 0). */
  #withLease<T>(ttlSeconds: number, write: (lease: string | undefined) => Promise<T>): Promise<T> {
    return this.#call(async () => {
      if (ttlSeconds === 0) return write(undefined);
      const lease = await this.#leases.leaseFor(ttlSeconds);
      try {
        return await write(lease);
      } catch (err) {
        // The lease can be gone before it was due (revoked by hand, or etcd restored
        // from a backup); grant a fresh one once.
        if (!(err instanceof EtcdLeaseInvalidError)) throw err;
        this.#leases.forget(lease);
        return write(await this.#leases.leaseFor(ttlSeconds));
      }
    });
  }

  /** Runs a read at `revision`, reporting how far the store is compacted if it is too old. */
  async #read<T>(revision: number, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (isCompactedError(err)) {
        throw await this.#call(() => this.#compaction.errorFor(revision, err));
      }
      throw mapEtcdError(this.#hosts, err);
    }
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw mapEtcdError(this.#hosts, err);
    }
  }
}
