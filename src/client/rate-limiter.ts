import type { Clock } from './clock.ts';

// client-go's `workqueue.DefaultControllerRateLimiter()`: the larger of a per-item
// exponential back-off (5 ms, doubling, capped at 1000 s) and an overall token bucket
// (10 per second, burst 100) so that a storm of failures cannot spin the controller.

export interface RateLimiter<T> {
  /** How long `item` should wait before it is processed again; counts one failure. */
  when(item: T): number;
  /** Clears the failure count of `item` (it succeeded, or was given up on). */
  forget(item: T): void;
  numRequeues(item: T): number;
}

export class ItemExponentialRateLimiter<T> implements RateLimiter<T> {
  #failures = new Map<T, number>();
  readonly baseMs: number;
  readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 1_000_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(item: T): number {
    const exp = this.#failures.get(item) ?? 0;
    this.#failures.set(item, exp + 1);
    return Math.min(this.baseMs * 2 ** exp, this.maxMs);
  }

  forget(item: T): void {
    this.#failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.#failures.get(item) ?? 0;
  }
}

/** A token bucket: every `when` takes a token; an empty bucket means waiting for one. */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  #tokens: number;
  #last: number;
  readonly #clock: Clock;
  readonly #perSecond: number;
  readonly #burst: number;

  constructor(clock: Clock, perSecond = 10, burst = 100) {
    this.#clock = clock;
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(_item: T): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + ((now - this.#last) * this.#perSecond) / 1000,
    );
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#perSecond;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  readonly #limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.#limiters = limiters;
  }

  when(item: T): number {
    return Math.max(...this.#limiters.map((l) => l.when(item)));
  }

  forget(item: T): void {
    for (const l of this.#limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return Math.max(...this.#limiters.map((l) => l.numRequeues(item)));
  }
}

export function defaultControllerRateLimiter<T>(clock: Clock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialRateLimiter<T>(),
    new BucketRateLimiter<T>(clock),
  );
}
