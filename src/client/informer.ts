import type { KubeObject } from '../api/index.ts';
import { ApiError, isGone } from './api-error.ts';
import { realClock, sleep, type Clock } from './clock.ts';
import { stderrLogger, type Logger } from './logger.ts';
import type { ResourceRef, RestClient } from './rest-client.ts';
import { objectKey, Store, type StoreReader } from './store.ts';

// client-go's shared informer: list a resource, then watch it from the list's
// resourceVersion, keeping a Store current and telling event handlers about changes.
//
// - A watch that ends (timeoutSeconds, server restart) is reopened from the last
//   resourceVersion seen; bookmarks keep that version fresh on quiet resources.
// - A 410 (the version was compacted away) means events were missed: the informer
//   lists again and emits the difference between its store and the list as adds,
//   updates and deletes, so handlers see a consistent stream.
// - Failed lists and watches are retried after a bounded, jittered back-off and logged;
//   nothing is thrown out of the loop.
//
// Objects in the store, and the objects given to handlers, are shared by every user of
// the informer and must never be mutated: structuredClone one before changing it.

export interface EventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** The last state known: the deleted object, or the stored one when a re-list found it gone. */
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  /** '' or absent: all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side length of each watch; default a random 300–600 s, as client-go. */
  timeoutSeconds?: number;
  /** List page size; default 500. */
  pageSize?: number;
  /** Back-off between failed attempts: doubling from initialMs to maxMs, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  logger?: Logger;
  clock?: Clock;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly ref: ResourceRef;
  readonly #client: RestClient;
  readonly #opts: InformerOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #store = new Store<T>();
  #handlers = new Set<EventHandler<T>>();
  #resourceVersion = '';
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #abort?: AbortController;
  #running?: Promise<void>;

  constructor(client: RestClient, ref: ResourceRef, opts: InformerOptions = {}) {
    this.#client = client;
    this.ref = ref;
    this.#opts = opts;
    this.#logger = opts.logger ?? stderrLogger;
    this.#clock = opts.clock ?? realClock;
  }

  /** The cache. Its objects are shared: never mutate them. */
  get store(): StoreReader<T> {
    return this.#store;
  }

  /**
   * Registers handlers; objects already in the store are replayed to `onAdd` before this
   * returns. Handlers run one event at a time and should only enqueue work. Answers a
   * function that removes the handlers.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.#handlers.add(handler);
    for (const obj of this.#store.list()) this.#call(handler, 'onAdd', obj);
    return () => this.#handlers.delete(handler);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once the first list is in the store, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  /** The resourceVersion the store reflects. */
  lastSyncResourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Starts listing and watching until `signal` aborts or `stop` is called; no-op while running. */
  start(signal?: AbortSignal): void {
    if (this.#running) return;
    const abort = new AbortController();
    this.#abort = abort;
    if (signal?.aborted) abort.abort();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    this.#running = this.#run(abort.signal);
  }

  /** Stops the loop and resolves when its watch is closed. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    let gone = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(signal);
          needList = false;
        }
        if (signal.aborted) break;
        const started = this.#clock.now();
        const events = await this.#watch(signal);
        if (events > 0) gone = 0;
        // A watch that ends at once without a single event is a failure in disguise.
        if (events > 0 || this.#clock.now() - started >= 1000) failures = 0;
        else if (!signal.aborted)
          await this.#backOff(++failures, signal, new Error('watch closed at once'));
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          needList = true;
          this.#logger.info(
            { resource: this.ref.resource, err },
            'informer: watch expired, re-listing',
          );
          if (gone++ === 0) continue;
        }
        await this.#backOff(++failures, signal, err);
      }
    }
  }

  async #backOff(failures: number, signal: AbortSignal, err: unknown): Promise<void> {
    const { initialMs, maxMs } = this.#opts.backoff ?? { initialMs: 800, maxMs: 30_000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#logger.warn(
      {
        resource: this.ref.resource,
        namespace: this.#opts.namespace ?? '',
        err,
        failures,
        delayMs,
      },
      'informer: list/watch failed, retrying',
    );
    await sleep(this.#clock, delayMs, signal);
  }

  /** Lists every page, then makes the store equal to the list, emitting the differences. */
  async #relist(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    let itemKind: string | undefined;
    let apiVersion: string | undefined;
    do {
      const page = await this.#client.list<T>(this.ref, this.#opts.namespace ?? '', {
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        limit: this.#opts.pageSize ?? 500,
        continue: cont,
        signal,
      });
      items.push(...page.items);
      resourceVersion ??= page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
      itemKind = page.kind?.replace(/List$/, '');
      apiVersion = page.apiVersion;
    } while (cont);
    if (signal.aborted) return;

    const seen = new Set<string>();
    for (const obj of items) {
      // Items of a list may omit their kind; watch events carry it. Keep the store uniform.
      if (!obj.kind && itemKind) Object.assign(obj, { kind: itemKind, apiVersion });
      const key = objectKey(obj);
      seen.add(key);
      const old = this.#store.get(key);
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.#store.set(key, obj);
      if (old) this.#emit('onUpdate', old, obj);
      else this.#emit('onAdd', obj);
    }
    for (const key of this.#store.keys()) {
      if (seen.has(key)) continue;
      const old = this.#store.delete(key)!;
      this.#emit('onDelete', old);
    }
    this.#resourceVersion = resourceVersion ?? '';
    if (!this.#synced) {
      this.#synced = true;
      for (const wake of this.#syncWaiters.splice(0)) wake();
    }
  }

  /** One watch from the current resourceVersion; answers the number of events seen. */
  async #watch(signal: AbortSignal): Promise<number> {
    const timeoutSeconds = this.#opts.timeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
    let count = 0;
    for await (const event of this.#client.watch<T>(this.ref, this.#opts.namespace ?? '', {
      resourceVersion: this.#resourceVersion,
      labelSelector: this.#opts.labelSelector,
      fieldSelector: this.#opts.fieldSelector,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
    })) {
      count++;
      if (event.type === 'ERROR') throw new ApiError(event.object);
      const obj = event.object;
      const rv = obj.metadata?.resourceVersion;
      switch (event.type) {
        case 'ADDED':
        case 'MODIFIED': {
          const old = this.#store.set(objectKey(obj), obj);
          if (old) this.#emit('onUpdate', old, obj);
          else this.#emit('onAdd', obj);
          break;
        }
        case 'DELETED':
          this.#store.delete(objectKey(obj));
          this.#emit('onDelete', obj);
          break;
        case 'BOOKMARK':
          break;
        default:
          this.#logger.error(
            { resource: this.ref.resource, event },
            'informer: unknown watch event type',
          );
          continue;
      }
      if (rv) this.#resourceVersion = rv;
    }
    return count;
  }

  #emit(kind: 'onAdd' | 'onDelete', obj: T): void;
  #emit(kind: 'onUpdate', oldObj: T, newObj: T): void;
  #emit(kind: keyof EventHandler<T>, a: T, b?: T): void {
    for (const handler of this.#handlers) this.#call(handler, kind, a, b);
  }

  #call(handler: EventHandler<T>, kind: keyof EventHandler<T>, a: T, b?: T): void {
    try {
      if (kind === 'onUpdate') handler.onUpdate?.(a, b!);
      else handler[kind]?.(a);
    } catch (err) {
      this.#logger.error(
        { resource: this.ref.resource, handler: kind, err },
        'informer: event handler threw (a bug)',
      );
    }
  }
}
