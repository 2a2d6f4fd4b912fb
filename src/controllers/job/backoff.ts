import { finishedTime } from './pods.ts';
import type { Pod } from './types.ts';

// The pod failure back-off of Jobs (backoff_utils.go): after n failures since the last
// success, replacements wait 10 s · 2^(n-1), capped at 6 min, from the last failure.
// Records live in memory, as in kube-controller-manager: a restart forgets them.

export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

export class BackoffStore {
  readonly #records = new Map<string, BackoffRecord>();

  get(key: string): BackoffRecord | undefined {
    return this.#records.get(key);
  }

  update(record: BackoffRecord): void {
    this.#records.set(record.key, { ...record });
  }

  remove(key: string): void {
    this.#records.delete(key);
  }

  /** The record after the pods that succeeded and failed since the last sync. */
  next(key: string, succeeded: Pod[], failed: Pod[]): BackoffRecord {
    const old = this.#records.get(key);
    const record: BackoffRecord = {
      key,
      failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0,
      lastFailureTime: old?.lastFailureTime,
    };
    const failedTimes = failed.map(finishedTime).sort((a, b) => a - b);
    if (succeeded.length === 0) {
      if (failed.length === 0) return record;
      record.failuresAfterLastSuccess += failed.length;
      record.lastFailureTime = failedTimes[failedTimes.length - 1];
      return record;
    }
    record.failuresAfterLastSuccess = 0;
    record.lastFailureTime = undefined;
    const lastSuccess = Math.max(...succeeded.map(finishedTime));
    for (let i = failedTimes.length - 1; i >= 0; i--) {
      const at = failedTimes[i]!;
      if (at <= lastSuccess) break;
      record.lastFailureTime ??= at;
      record.failuresAfterLastSuccess += 1;
    }
    return record;
  }
}

/** How long replacements must still wait, in ms (0: create now). */
export function remainingBackoff(record: BackoffRecord, now: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let backoff = DEFAULT_BACKOFF_MS;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    backoff *= 2;
    if (backoff >= MAX_BACKOFF_MS) {
      backoff = MAX_BACKOFF_MS;
      break;
    }
  }
  const elapsed = now - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}
