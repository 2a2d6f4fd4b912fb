import type { ReconcileResult } from '../workers.ts';

// A cache that has not yet seen the controller's own last write is expected and brief
// (Kubernetes logs it at a debug level only). Rather than failing the sync, which logs a
// warning each time, the key is looked at again after a delay that doubles per service
// while the cache stays behind, and starts over once it caught up.

const FIRST_MS = 5;
const MAX_MS = 5_000;

export class StaleRetry {
  readonly #attempts = new Map<string, number>();

  /** The result that asks for another look at `key`. */
  retry(key: string): ReconcileResult {
    const n = this.#attempts.get(key) ?? 0;
    this.#attempts.set(key, n + 1);
    return { requeueAfterMs: Math.min(FIRST_MS * 2 ** n, MAX_MS) };
  }

  caughtUp(key: string): void {
    this.#attempts.delete(key);
  }
}
