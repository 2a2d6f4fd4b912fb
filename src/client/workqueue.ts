import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

// client-go's rate-limited delaying work queue (util/workqueue).
//
// Invariants, as in client-go's queue.go:
// - `dirty` holds every item that needs processing; an item is in `queue` at most once,
//   so many adds before it is taken collapse into one pass.
// - `processing` holds the items handed out by `get` and not yet `done`. An item added
//   while it is processing goes to `dirty` only and is queued again by `done`, so one
//   item is never processed by two workers at once.
// - Every item in `queue` is in `dirty` and not in `processing`.
//
// Unlike client-go, `get` answers `undefined` as soon as the queue is shut down, even if
// items remain: a controller stopping does not drain its queue.

export interface WorkQueueOptions<T> {
  clock?: Clock;
  rateLimiter?: RateLimiter<T>;
}

interface Waiting {
  readyAt: number;
  timer: TimerHandle;
}

export class WorkQueue<T = string> {
  #queue: T[] = [];
  #dirty = new Set<T>();
  #processing = new Set<T>();
  #getters: ((item: T | undefined) => void)[] = [];
  #waiting = new Map<T, Waiting>();
  #shuttingDown = false;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter<T>;

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>(this.#clock);
  }

  /** Marks `item` as needing processing. Ignored after shutDown. */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.add(item);
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#handOut();
  }

  /**
   * The next item to process, waiting for one if the queue is empty; `undefined` once
   * the queue is shut down. Every item returned must be given back with `done`.
   */
  get(): Promise<T | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    if (this.#queue.length > 0) return Promise.resolve(this.#take());
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Ends processing of `item`; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    this.#processing.delete(item);
    if (this.#dirty.has(item) && !this.#shuttingDown) {
      this.#queue.push(item);
      this.#handOut();
    }
  }

  /** Adds `item` after `ms`. A later addAfter of a waiting item can only bring it forward. */
  addAfter(item: T, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(item);
    const readyAt = this.#clock.now() + ms;
    const existing = this.#waiting.get(item);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      this.#clock.clearTimeout(existing.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(item);
      this.add(item);
    }, ms);
    this.#waiting.set(item, { readyAt, timer });
  }

  /** Adds `item` after its rate limiter's back-off; each call counts one more failure. */
  addRateLimited(item: T): void {
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  /** Resets the back-off of `item`; call it when the item was processed successfully. */
  forget(item: T): void {
    this.#rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.#rateLimiter.numRequeues(item);
  }

  /** Items waiting to be handed out (not counting those processing or delayed). */
  len(): number {
    return this.#queue.length;
  }

  /** Stops handing out items: waiting and future `get` calls answer `undefined`. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const w of this.#waiting.values()) this.#clock.clearTimeout(w.timer);
    this.#waiting.clear();
    this.#queue = [];
    const getters = this.#getters;
    this.#getters = [];
    for (const resolve of getters) resolve(undefined);
  }

  shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  #take(): T {
    const item = this.#queue.shift()!;
    this.#processing.add(item);
    this.#dirty.delete(item);
    return item;
  }

  #handOut(): void {
    while (this.#getters.length > 0 && this.#queue.length > 0) {
      this.#getters.shift()!(this.#take());
    }
  }
}
