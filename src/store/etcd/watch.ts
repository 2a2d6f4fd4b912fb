import type { IDuplexStream, IEvent, IWatchRequest, IWatchResponse, WatchClient } from 'etcd3';
import { StoreError, type KeyValue, type WatchEvent, type WatchStream } from '../types.ts';
import type { CompactionTracker } from './compaction.ts';
import { unreachable } from './errors.ts';
import type { LeaseManager } from './lease.ts';
import { keyBytes, leaseOf, prefixRangeEnd, revisionOf, toKeyValue } from './keys.ts';

// One etcd watch per WatchStream, on a gRPC stream of its own so that cancelling it is
// closing that stream. The etcd3 package's Watcher is not used: on reconnect it resumes
// after the revision in the last response header, which runs ahead of the events
// delivered when etcd is catching a watcher up in batches, and would leave a gap.
//
// Here a lost stream is re-opened after the revision of the last event received; etcd
// never splits one revision's events across responses (no `fragment`), so that is neither
// a gap nor a duplicate. Events are queued without bound so a slow reader loses nothing.

export interface WatchDeps {
  client: WatchClient;
  leases: LeaseManager;
  compaction: CompactionTracker;
  hosts: readonly string[];
  /** Aborted when the backend closes, which ends every watch on it. */
  closed: AbortSignal;
  /** How long a watch keeps trying to reconnect before it fails with Unavailable. */
  reconnectTimeoutMs: number;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

export function watchPrefix(
  deps: WatchDeps,
  prefix: string,
  afterRevision: number,
  signal?: AbortSignal,
): WatchStream {
  return {
    [Symbol.asyncIterator]: () => new EtcdWatch(deps, prefix, afterRevision, signal),
  };
}

type Waiter = {
  resolve: (result: IteratorResult<WatchEvent[]>) => void;
  reject: (err: unknown) => void;
};

class EtcdWatch implements AsyncIterator<WatchEvent[]> {
  readonly #deps: WatchDeps;
  readonly #prefix: string;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#close();
  #lastRevision: number;
  #stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay = FIRST_RETRY_MS;
  /** When the watch lost its stream and has not had one since; undefined while healthy. */
  #failingSince: number | undefined;
  /** Responses are turned into events one after another, so batches keep their order. */
  #pending: Promise<void> = Promise.resolve();
  readonly #batches: WatchEvent[][] = [];
  #failure: { err: unknown } | undefined;
  #closed = false;
  #waiter: Waiter | undefined;

  constructor(deps: WatchDeps, prefix: string, afterRevision: number, signal?: AbortSignal) {
    this.#deps = deps;
    this.#prefix = prefix;
    this.#lastRevision = afterRevision;
    this.#signal = signal;
    if (signal?.aborted || deps.closed.aborted) {
      this.#closed = true;
      return;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    deps.closed.addEventListener('abort', this.#onAbort, { once: true });
    void this.#connect();
  }

  next(): Promise<IteratorResult<WatchEvent[]>> {
    const batch = this.#batches.shift();
    if (batch) return Promise.resolve({ value: batch, done: false });
    if (this.#failure) {
      const { err } = this.#failure;
      this.#failure = undefined;
      this.#close();
      return Promise.reject(err);
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<WatchEvent[]>> {
    this.#close();
    return Promise.resolve({ value: undefined, done: true });
  }

  async #connect(): Promise<void> {
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.#deps.client.watch();
    } catch (err) {
      this.#lost(undefined, err);
      return;
    }
    if (this.#closed) {
      stream.cancel();
      return;
    }
    this.#stream = stream;
    stream.on('data', (res) => this.#receive(stream, res));
    stream.on('error', (err) => this.#lost(stream, err));
    stream.on('end', () => this.#lost(stream, new Error('etcd ended the watch stream')));
    stream.write({
      create_request: {
        key: keyBytes(this.#prefix),
        range_end: prefixRangeEnd(this.#prefix),
        start_revision: this.#lastRevision + 1,
        prev_kv: true,
      },
    });
  }

  #receive(stream: IDuplexStream<IWatchRequest, IWatchResponse>, res: IWatchResponse): void {
    if (this.#closed || stream !== this.#stream) return;
    this.#failingSince = undefined;
    this.#retryDelay = FIRST_RETRY_MS;
    if (res.canceled) {
      this.#stream = undefined;
      stream.cancel();
      const compactedRevision = revisionOf(res.compact_revision);
      if (compactedRevision > 0) {
        this.#deps.compaction.observe(compactedRevision);
        this.#enqueueFailure(
          new StoreError(
            'Compacted',
            `cannot watch ${this.#prefix} after revision ${this.#lastRevision}: the store is compacted to ${compactedRevision}`,
            { compactedRevision },
          ),
        );
      } else {
        this.#enqueueFailure(
          new Error(`etcd cancelled the watch on ${this.#prefix}: ${res.cancel_reason}`),
        );
      }
      return;
    }
    const events = res.events ?? [];
    if (events.length === 0) return;
    this.#lastRevision = revisionOf(events[events.length - 1]!.kv.mod_revision);
    this.#pending = this.#pending.then(async () => {
      if (this.#closed || this.#failure) return;
      try {
        this.#push(await Promise.all(events.map((ev) => toWatchEvent(ev, this.#deps.leases))));
      } catch (err) {
        this.#fail(err);
      }
    });
  }

  /** A stream broke: re-open it, unless it has been failing for too long. */
  #lost(stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined, err: unknown): void {
    if (this.#closed || stream !== this.#stream) return;
    this.#stream = undefined;
    stream?.cancel();
    this.#failingSince ??= Date.now();
    if (Date.now() - this.#failingSince > this.#deps.reconnectTimeoutMs) {
      this.#enqueueFailure(unreachable(this.#deps.hosts, err));
      return;
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#closed) void this.#connect();
    }, this.#retryDelay);
    this.#retryDelay = Math.min(this.#retryDelay * 2, MAX_RETRY_MS);
  }

  /** Fails the watch once the events received before the failure have been read. */
  #enqueueFailure(err: unknown): void {
    this.#pending = this.#pending.then(() => this.#fail(err));
  }

  #push(batch: WatchEvent[]): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: batch, done: false });
    } else {
      this.#batches.push(batch);
    }
  }

  #fail(err: unknown): void {
    if (this.#closed || this.#failure) return;
    this.#stopStream();
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#close();
      waiter.reject(err);
    } else {
      this.#failure = { err };
    }
  }

  #stopStream(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
  }

  /** Ends the watch; cancellation is not an error, so a waiting reader sees the end. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#deps.closed.removeEventListener('abort', this.#onAbort);
    this.#stopStream();
    this.#batches.length = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }
}

async function toWatchEvent(ev: IEvent, leases: LeaseManager): Promise<WatchEvent> {
  const prev = ev.prev_kv
    ? toKeyValue(ev.prev_kv, await leases.ttlOf(leaseOf(ev.prev_kv)))
    : undefined;
  if (String(ev.type).toUpperCase() === 'DELETE') {
    const modRevision = revisionOf(ev.kv.mod_revision);
    // etcd's delete event carries only the key; the contract wants its last value.
    const kv: KeyValue = prev
      ? { ...prev, modRevision }
      : {
          key: ev.kv.key.toString('utf8'),
          value: Buffer.alloc(0),
          createRevision: 0,
          modRevision,
          version: 0,
          ttlSeconds: 0,
        };
    return prev ? { type: 'delete', kv, prev } : { type: 'delete', kv };
  }
  const kv = toKeyValue(ev.kv, await leases.ttlOf(leaseOf(ev.kv)));
  if (kv.version === 1) return { type: 'create', kv };
  return prev ? { type: 'update', kv, prev } : { type: 'update', kv };
}
