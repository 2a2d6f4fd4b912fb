import type { KubeObject } from '../../api/index.ts';
import { isStoreError, type Backend, type WatchEvent } from '../../store/index.ts';
import { decodeCachedObject } from './codec.ts';

// The API server's memory of the cluster: every object under /registry/, kept current by
// ONE store watch, plus a window of recent events for watchers that resume from a
// resourceVersion. Because a single watch sees every write, the cache always knows the
// global revision it is current to, so a list "as of now" waits until the cache has
// caught up with the store's current revision and is then served without touching the
// store (consistent reads from cache, as kube-apiserver 1.31+ does).
//
// Objects held here are shared by every reader: never mutate them (copy with cloneJson first).

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  revision: number;
  key: string;
  /** For DELETED, the last state of the object with the delete's resourceVersion. */
  object: KubeObject;
  prev?: KubeObject;
}

export interface CacheWatcher {
  /** A collection's key prefix, or a namespace's within it: ends with `/`. */
  prefix: string;
  /** Called synchronously with events in revision order; must not throw. */
  deliver(events: CacheEvent[]): void;
  /** The cache lost its store watch and restarted: the watcher must end (clients re-list). */
  terminate(reason: string): void;
}

interface Waiter {
  revision: number;
  resolve: () => void;
}

const HISTORY_CAPACITY = 20_000;
const FRESHNESS_TIMEOUT_MS = 5_000;

export class TooOldError extends Error {}
export class NotFreshError extends Error {}

export class WatchCache {
  readonly #store: Backend;
  readonly #objects = new Map<string, KubeObject>();
  /** Sorted keys per prefix, rebuilt lazily after keys come or go. */
  readonly #sortedKeys = new Map<string, string[]>();
  #history: CacheEvent[] = [];
  /** Every event after this revision is in #history. */
  #oldest = 0;
  #revision = 0;
  readonly #watchers = new Set<CacheWatcher>();
  /** The same watchers by prefix: a batch reaches them without each testing every event. */
  readonly #byPrefix = new Map<string, Set<CacheWatcher>>();
  #waiters: Waiter[] = [];
  readonly #abort = new AbortController();
  #ready: Promise<void> | undefined;
  #onError: (err: unknown) => void;

  constructor(store: Backend, onError: (err: unknown) => void = () => {}) {
    this.#store = store;
    this.#onError = onError;
  }

  get revision(): number {
    return this.#revision;
  }

  /** Lists everything and starts following the store; resolves when the cache is loaded. */
  start(): Promise<void> {
    this.#ready ??= new Promise((resolve, reject) => {
      void this.#run(resolve, reject);
    });
    return this.#ready;
  }

  stop(): void {
    this.#abort.abort();
    for (const w of this.#watchers) w.terminate('the API server is shutting down');
    this.#watchers.clear();
    this.#byPrefix.clear();
  }

  async #run(ready: () => void, failed: (err: unknown) => void): Promise<void> {
    let first = true;
    while (!this.#abort.signal.aborted) {
      try {
        await this.#load();
        if (first) ready();
        first = false;
        for await (const batch of this.#store.watch('/registry/', this.#revision, {
          signal: this.#abort.signal,
        })) {
          this.#apply(batch);
        }
      } catch (err) {
        if (first) return failed(err);
        if (!isStoreError(err, 'Compacted')) this.#onError(err);
        for (const w of this.#watchers) w.terminate('watch cache restarted; please re-list');
        this.#watchers.clear();
        this.#byPrefix.clear();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async #load(): Promise<void> {
    this.#objects.clear();
    this.#sortedKeys.clear();
    let token: string | undefined;
    let revision = 0;
    do {
      const page = await this.#store.list('/registry/', { limit: 2000, continue: token });
      revision = page.revision;
      for (const kv of page.kvs) this.#objects.set(kv.key, decodeCachedObject(kv));
      token = page.continue;
    } while (token);
    this.#history = [];
    this.#oldest = revision;
    this.#setRevision(revision);
  }

  #apply(batch: WatchEvent[]): void {
    const events: CacheEvent[] = [];
    for (const ev of batch) {
      const prev = this.#objects.get(ev.kv.key);
      if (ev.type === 'delete') {
        if (!prev) continue;
        const object = {
          ...prev,
          metadata: { ...prev.metadata, resourceVersion: String(ev.kv.modRevision) },
        };
        this.#objects.delete(ev.kv.key);
        this.#sortedKeys.delete(prefixOf(ev.kv.key));
        events.push({ type: 'DELETED', revision: ev.kv.modRevision, key: ev.kv.key, object, prev });
      } else {
        const object = decodeCachedObject(ev.kv);
        if (!prev) this.#sortedKeys.delete(prefixOf(ev.kv.key));
        this.#objects.set(ev.kv.key, object);
        const type = prev ? 'MODIFIED' : 'ADDED';
        events.push({ type, revision: ev.kv.modRevision, key: ev.kv.key, object, prev });
      }
    }
    for (const e of events) this.#history.push(e);
    if (this.#history.length > HISTORY_CAPACITY) {
      const dropped = this.#history.splice(0, this.#history.length - HISTORY_CAPACITY);
      this.#oldest = dropped[dropped.length - 1]!.revision;
    }
    const last = batch[batch.length - 1];
    if (events.length > 0 && this.#watchers.size > 0) this.#deliver(events);
    if (last) this.#setRevision(last.kv.modRevision);
  }

  /**
   * Hands each watcher the batch's events under its prefix, in order. A prefix ends with
   * `/`, so an event's watchers are those of the prefixes ending at one of its key's
   * slashes: a few lookups per event instead of one test per watcher.
   */
  #deliver(events: CacheEvent[]): void {
    const batches = new Map<CacheWatcher, CacheEvent[]>();
    for (const e of events) {
      const key = e.key;
      for (let slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', slash + 1)) {
        const watchers = this.#byPrefix.get(key.slice(0, slash + 1));
        if (!watchers) continue;
        for (const w of watchers) {
          const batch = batches.get(w);
          if (batch) batch.push(e);
          else batches.set(w, [e]);
        }
      }
    }
    for (const [w, batch] of batches) if (this.#watchers.has(w)) w.deliver(batch);
  }

  #setRevision(revision: number): void {
    this.#revision = revision;
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.revision <= revision) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  /** Resolves once the cache reflects `revision` (default: the store's current one). */
  async waitFresh(revision?: number): Promise<number> {
    const target = revision ?? (await this.#store.currentRevision());
    if (this.#revision >= target) return this.#revision;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(
          new NotFreshError(`Too large resource version: ${target}, current: ${this.#revision}`),
        );
      }, FRESHNESS_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push({ revision: target, resolve: done });
    });
    return this.#revision;
  }

  get(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  /** Objects under `prefix` in key order (namespace, then name), at `revision`. */
  list(prefix: string): { revision: number; objects: KubeObject[] } {
    const cachePrefix = prefixOf(prefix);
    let keys = this.#sortedKeys.get(cachePrefix);
    if (!keys) {
      keys = [...this.#objects.keys()].filter((k) => k.startsWith(cachePrefix)).sort();
      this.#sortedKeys.set(cachePrefix, keys);
    }
    const objects: KubeObject[] = [];
    for (const k of keys) if (k.startsWith(prefix)) objects.push(this.#objects.get(k)!);
    return { revision: this.#revision, objects };
  }

  /**
   * Registers a watcher for events after `afterRevision`, replaying what it missed from the
   * window first. Throws TooOldError when the window no longer reaches back that far.
   */
  watch(watcher: CacheWatcher, afterRevision: number): () => void {
    if (!watcher.prefix.endsWith('/')) throw new Error(`BUG: watch prefix ${watcher.prefix}`);
    if (afterRevision < this.#oldest) {
      throw new TooOldError(`too old resource version: ${afterRevision} (${this.#oldest})`);
    }
    const missed = this.#history.filter(
      (e) => e.revision > afterRevision && e.key.startsWith(watcher.prefix),
    );
    if (missed.length > 0) watcher.deliver(missed);
    this.#watchers.add(watcher);
    let same = this.#byPrefix.get(watcher.prefix);
    if (!same) this.#byPrefix.set(watcher.prefix, (same = new Set()));
    same.add(watcher);
    return () => {
      this.#watchers.delete(watcher);
      const set = this.#byPrefix.get(watcher.prefix);
      if (set?.delete(watcher) && set.size === 0) this.#byPrefix.delete(watcher.prefix);
    };
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }
}

/** The resource part of a key: `/registry/apps/deployments/ns/name` → `/registry/apps/deployments/`. */
function prefixOf(key: string): string {
  const parts = key.split('/');
  return `/${parts[1]}/${parts[2]}/${parts[3]}/`;
}
