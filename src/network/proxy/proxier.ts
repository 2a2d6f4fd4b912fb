import type { KubeObject } from '../../api/index.ts';
import {
  realClock,
  type Clock,
  type EventHandler,
  type Logger,
  type ResourceRef,
} from '../../client/index.ts';
import { computeProxyTable, type EndpointSlice, type Service } from './table.ts';
import type { DataPlane, ProxyTable } from './types.ts';

// kube-proxy's control loop: informers on Services and EndpointSlices, and on any change a
// sync that recomputes the whole table and hands it to the data plane.
//
// Syncs are coalesced, as kube-proxy's BoundedFrequencyRunner does: at most one runs at a
// time, they start at least `minSyncIntervalMs` apart, and events arriving meanwhile only
// mark the table dirty, so a burst of a hundred endpoint updates costs two or three
// applies. Nothing is applied before both informers have synced: an empty table from a
// half-filled cache would tear down every service on restart. A failed apply is logged
// and retried with exponential back-off; the table is applied again even if unchanged,
// since the data plane may be half-way.
//
// Other programs share the kernel's tables (a firewall reload, `iptables -F`, an admin):
// every `resyncIntervalMs` the proxy asks the data plane what of its last apply is no
// longer in place (`verify`) and applies the table again when anything is, as
// kube-proxy's periodic sync and canary chains do — so rules flushed by someone else are
// back within one interval.

export const SERVICES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'services',
  namespaced: true,
};
export const ENDPOINT_SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  namespaced: true,
};

/** What the proxy needs of an informer; `Informer` fits. */
export interface ObjectSource {
  readonly store: { list(): KubeObject[] };
  addEventHandler(handler: EventHandler): () => void;
}

/** What the proxy needs of a shared informer factory; `InformerFactory` fits. */
export interface InformerSource {
  informerFor(ref: ResourceRef): ObjectSource;
  start(signal: AbortSignal): void;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

export interface SyncInfo {
  table: ProxyTable;
  /** False when the table equalled the one in force and the data plane was not called. */
  changed: boolean;
  /** Clock times: when the sync began (after the events it covers) and when it ended. */
  startedAt: number;
  finishedAt: number;
}

export interface ServiceProxyOptions {
  informers: InformerSource;
  nodeName: string;
  dataPlane: DataPlane;
  log: Logger;
  /** Least time between the starts of two syncs; default 10 ms. */
  minSyncIntervalMs?: number;
  /** How often the data plane's rules are checked and restored if changed; default 30 s. */
  resyncIntervalMs?: number;
  /** Back-off after failed applies: doubling from initialMs to maxMs; default 100 ms–10 s. */
  backoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
  /** Called after every successful sync, for benchmarks and tests. */
  onSynced?: (info: SyncInfo) => void;
}

export class ServiceProxy {
  readonly #opts: ServiceProxyOptions;
  readonly #clock: Clock;
  readonly #services: ObjectSource;
  readonly #slices: ObjectSource;
  readonly #removeHandlers: (() => void)[];
  readonly #stop = new AbortController();
  #ready = false;
  #dirty = false;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #lastStartedAt = -Infinity;
  #failures = 0;
  #applied: { key: string; table: ProxyTable } | undefined;
  #closing: Promise<void> | undefined;
  #lastSyncedAt: number | undefined;
  /** Set when verify found the data plane changed: the next sync applies even an equal table. */
  #reapply = false;
  #resyncTimer: unknown;

  constructor(opts: ServiceProxyOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#services = opts.informers.informerFor(SERVICES);
    this.#slices = opts.informers.informerFor(ENDPOINT_SLICES);
    const handler: EventHandler = {
      onAdd: () => this.#schedule(),
      onUpdate: () => this.#schedule(),
      onDelete: () => this.#schedule(),
    };
    this.#removeHandlers = [
      this.#services.addEventHandler(handler),
      this.#slices.addEventHandler(handler),
    ];
  }

  /** Clock time of the last successful sync; undefined before the first. */
  get lastSyncedAt(): number | undefined {
    return this.#lastSyncedAt;
  }

  /** The table the data plane routes by; undefined before the first successful apply. */
  get table(): ProxyTable | undefined {
    return this.#applied?.table;
  }

  /**
   * Starts the informers and resolves after the first sync (successful or not: a failure
   * is logged and retried). Syncing stops when `signal` aborts; `close` cleans up.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) this.#stop.abort();
    else signal.addEventListener('abort', () => this.#stop.abort(), { once: true });
    this.#opts.informers.start(this.#stop.signal);
    if (!(await this.#opts.informers.waitForSync(this.#stop.signal))) return;
    if (this.#stop.signal.aborted) return;
    this.#ready = true;
    this.#dirty = true;
    this.#run(0);
    this.#scheduleResync();
    await this.#running;
  }

  #scheduleResync(): void {
    if (!this.#opts.dataPlane.verify || this.#stop.signal.aborted) return;
    this.#resyncTimer = this.#clock.setTimeout(() => {
      void this.#resync().finally(() => this.#scheduleResync());
    }, this.#opts.resyncIntervalMs ?? 30_000);
  }

  /** Asks the data plane what changed behind its back; schedules a full apply if anything. */
  async #resync(): Promise<void> {
    const { dataPlane, log } = this.#opts;
    if (!this.#applied || this.#stop.signal.aborted) return;
    let drift: string[];
    try {
      drift = (await dataPlane.verify?.()) ?? [];
    } catch (err) {
      log.error({ err, mode: dataPlane.mode }, 'service proxy: checking the data plane failed');
      return;
    }
    if (drift.length === 0 || this.#stop.signal.aborted) return;
    log.warn(
      { mode: dataPlane.mode, drift: drift.slice(0, 10), changes: drift.length },
      'service proxy: another program changed the rules; applying them again',
    );
    this.#reapply = true;
    this.#schedule();
  }

  /** Stops syncing, waits for a sync in flight, then closes the data plane. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort();
      for (const remove of this.#removeHandlers) remove();
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
      await this.#running;
      await this.#opts.dataPlane.close();
    })();
    return this.#closing;
  }

  #schedule(): void {
    this.#dirty = true;
    if (!this.#ready || this.#running || this.#timer !== undefined) return;
    const minInterval = this.#opts.minSyncIntervalMs ?? 10;
    this.#run(Math.max(0, this.#lastStartedAt + minInterval - this.#clock.now()));
  }

  /** Starts a sync after `delayMs` (at once for 0); the caller has checked none is pending. */
  #run(delayMs: number): void {
    if (this.#stop.signal.aborted) return;
    const go = () => {
      this.#timer = undefined;
      if (this.#stop.signal.aborted) return;
      this.#running = this.#sync().then((retryInMs) => {
        this.#running = undefined;
        if (retryInMs !== undefined) this.#run(retryInMs);
        else if (this.#dirty) this.#schedule();
      });
    };
    if (delayMs <= 0) go();
    else this.#timer = this.#clock.setTimeout(go, delayMs);
  }

  /** One sync; answers the back-off before a retry when the apply failed. */
  async #sync(): Promise<number | undefined> {
    const startedAt = this.#clock.now();
    this.#lastStartedAt = startedAt;
    this.#dirty = false;
    const { dataPlane, log, nodeName } = this.#opts;
    let table: ProxyTable;
    let key: string;
    try {
      table = computeProxyTable(
        this.#services.store.list() as unknown as Service[],
        this.#slices.store.list() as unknown as EndpointSlice[],
        nodeName,
      );
      key = JSON.stringify(table);
    } catch (err) {
      // A bug, not a state of the cluster: retrying will not help until an object changes.
      log.error({ err }, 'service proxy: computing the table failed');
      return undefined;
    }
    const changed = key !== this.#applied?.key || this.#reapply;
    this.#reapply = false;
    try {
      if (changed) await dataPlane.apply(table);
    } catch (err) {
      this.#reapply = true; // the data plane may be half-way: the retry applies in any case
      this.#failures++;
      const { initialMs, maxMs } = this.#opts.backoff ?? { initialMs: 100, maxMs: 10_000 };
      const retryInMs = Math.min(maxMs, initialMs * 2 ** (this.#failures - 1));
      log.error(
        { err, mode: dataPlane.mode, failures: this.#failures, retryInMs },
        'service proxy: applying the table failed',
      );
      return retryInMs;
    }
    this.#failures = 0;
    this.#applied = { key, table };
    const finishedAt = this.#clock.now();
    this.#lastSyncedAt = finishedAt;
    if (changed) {
      log.info(
        { mode: dataPlane.mode, servicePorts: table.services.length, ms: finishedAt - startedAt },
        'service proxy: table applied',
      );
    }
    try {
      this.#opts.onSynced?.({ table, changed, startedAt, finishedAt });
    } catch (err) {
      log.error({ err }, 'service proxy: onSynced callback threw');
    }
    return undefined;
  }
}
