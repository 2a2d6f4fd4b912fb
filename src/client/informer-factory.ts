import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../api/index.ts';
import { Informer, type InformerOptions } from './informer.ts';
import type { ResourceRef, RestClient } from './rest-client.ts';

// client-go's SharedInformerFactory: one informer per resource, shared by every
// controller in the process, so N controllers watching pods cost one watch.
//
// Controllers ask for their informers (and register handlers) first, then someone calls
// `start`; informers asked for after `start` are started by the next `start` call.

export class InformerFactory {
  readonly #client: RestClient;
  readonly #defaults: InformerOptions;
  readonly #informers = new Map<string, Informer>();
  readonly #started = new Set<string>();
  #signal?: AbortSignal;

  /** `defaults` apply to every informer: e.g. `{ namespace }` to watch one namespace. */
  constructor(client: RestClient, defaults: InformerOptions = {}) {
    this.#client = client;
    this.#defaults = defaults;
  }

  /** The shared informer of `ref`, created on first request. */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef): Informer<T> {
    const key = `${ref.group}/${ref.version}/${ref.resource}`;
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer(this.#client, ref, this.#defaults);
      this.#informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer not yet started; they run until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    for (const [key, informer] of this.#informers) {
      if (this.#started.has(key)) continue;
      this.#started.add(key);
      informer.start(signal);
    }
  }

  /** Resolves true when every started informer has synced, false if `signal` (or the start signal) aborts. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const signals = [signal, this.#signal].filter((s): s is AbortSignal => s !== undefined);
    const stop = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    // One listener per informer on the same signal is expected, not a leak.
    if (stop) setMaxListeners(0, stop);
    const started = [...this.#started].map((key) => this.#informers.get(key)!);
    const results = await Promise.all(started.map((informer) => informer.waitForSync(stop)));
    return results.every(Boolean);
  }

  /** Stops every informer and waits for their watches to close. */
  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    this.#started.clear();
  }
}
