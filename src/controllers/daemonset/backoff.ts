import type { Clock } from '../../client/index.ts';

// client-go's flowcontrol.Backoff as kube-controller-manager gives it to the DaemonSet
// controller (1 s, doubling to 15 min, no jitter): how long to wait before deleting the
// next failed daemon pod on the same node, so the controller does not hot-loop against a
// node that rejects every pod. Entries untouched for twice the maximum are forgotten.

export const FAILED_POD_BACKOFF_INITIAL_MS = 1_000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

interface Entry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly #clock: Clock;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(
    clock: Clock,
    initialMs = FAILED_POD_BACKOFF_INITIAL_MS,
    maxMs = FAILED_POD_BACKOFF_MAX_MS,
  ) {
    this.#clock = clock;
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
  }

  /** The current delay of `id`; 0 if it has none. */
  get(id: string): number {
    return this.#entries.get(id)?.backoffMs ?? 0;
  }

  /** IsInBackOffSinceUpdate: less than the current delay has passed since `next`. */
  inBackoff(id: string): boolean {
    const entry = this.#entries.get(id);
    const now = this.#clock.now();
    if (!entry || this.#expired(entry, now)) return false;
    return now - entry.lastUpdate < entry.backoffMs;
  }

  /** Next: starts at the initial delay (or again after expiry), else doubles up to the maximum. */
  next(id: string): void {
    const now = this.#clock.now();
    this.#gc(now);
    const entry = this.#entries.get(id);
    if (!entry || this.#expired(entry, now)) {
      this.#entries.set(id, { backoffMs: this.#initialMs, lastUpdate: now });
      return;
    }
    entry.backoffMs = Math.min(entry.backoffMs * 2, this.#maxMs);
    entry.lastUpdate = now;
  }

  #expired(entry: Entry, now: number): boolean {
    return now - entry.lastUpdate > 2 * this.#maxMs;
  }

  #gc(now: number): void {
    for (const [id, entry] of this.#entries)
      if (this.#expired(entry, now)) this.#entries.delete(id);
  }
}
