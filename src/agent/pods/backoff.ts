import type { Clock } from '../../client/index.ts';

// The kubelet's restart back-off (flowcontrol.Backoff, 10 s doubling to 5 min): a
// container that exited is restarted at once the first time; each later restart waits
// the current delay counted from when it exited, and the delay doubles. An entry that
// saw no restart for twice the maximum (the container ran well for 10 min) starts over.

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class RestartBackoff {
  readonly #clock: Clock;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, initialMs = INITIAL_BACKOFF_MS, maxMs = MAX_BACKOFF_MS) {
    this.#clock = clock;
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
  }

  /**
   * How long to wait before restarting the container that exited at `exitedAt`; 0 means
   * restart now (and the next delay is armed). The same answer until the delay passed.
   */
  remainingMs(key: string, exitedAt: number): number {
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (!entry || now - entry.lastUpdate > 2 * this.#maxMs) {
      this.#entries.set(key, { delayMs: this.#initialMs, lastUpdate: now });
      return 0;
    }
    const due = exitedAt + entry.delayMs;
    if (now < due) return due - now;
    entry.delayMs = Math.min(entry.delayMs * 2, this.#maxMs);
    entry.lastUpdate = now;
    return 0;
  }

  /** The delay now in force, for the CrashLoopBackOff message ("back-off 20s …"). */
  currentDelayMs(key: string): number {
    return this.#entries.get(key)?.delayMs ?? this.#initialMs;
  }

  forget(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
