// A push queue read as an async iterable of batches: `next()` hands over everything queued
// since the last call, so a consumer that falls behind catches up in one step instead of
// one await per item. Unbounded by design: a store watch must not drop events; the API
// server's watch cache is what bounds memory per client.

export class BatchQueue<T> implements AsyncIterable<T[]> {
  #items: T[] = [];
  #waiter: ((r: IteratorResult<T[]>) => void) | undefined;
  #failWaiter: ((err: unknown) => void) | undefined;
  #error: unknown = undefined;
  #failed = false;
  #ended = false;
  readonly #onClose: () => void;

  /** `onClose` runs once when the consumer stops or the queue ends. */
  constructor(onClose: () => void = () => {}) {
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#ended || this.#failed;
  }

  push(...items: T[]): void {
    if (this.closed || items.length === 0) return;
    for (const item of items) this.#items.push(item);
    this.#wake();
  }

  /** Ends the stream with an error, after the items already queued. */
  fail(err: unknown): void {
    if (this.closed) return;
    this.#failed = true;
    this.#error = err;
    this.#wake();
  }

  /** Ends the stream normally, after the items already queued. */
  end(): void {
    if (this.closed) return;
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const resolve = this.#waiter;
    const reject = this.#failWaiter;
    if (!resolve || !reject) return;
    this.#waiter = this.#failWaiter = undefined;
    this.#settle(resolve, reject);
  }

  #settle(resolve: (r: IteratorResult<T[]>) => void, reject: (err: unknown) => void): void {
    if (this.#items.length > 0) {
      const batch = this.#items;
      this.#items = [];
      resolve({ value: batch, done: false });
    } else if (this.#failed) {
      this.#finish();
      reject(this.#error);
    } else if (this.#ended) {
      this.#finish();
      resolve({ value: undefined, done: true });
    }
  }

  #finished = false;
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onClose();
  }

  [Symbol.asyncIterator](): AsyncIterator<T[]> {
    return {
      next: () =>
        new Promise<IteratorResult<T[]>>((resolve, reject) => {
          if (this.#items.length > 0 || this.closed) {
            this.#settle(resolve, reject);
          } else {
            this.#waiter = resolve;
            this.#failWaiter = reject;
          }
        }),
      return: async () => {
        this.#ended = true;
        this.#items = [];
        this.#finish();
        const resolve = this.#waiter;
        this.#waiter = this.#failWaiter = undefined;
        resolve?.({ value: undefined, done: true });
        return { value: undefined, done: true };
      },
    };
  }
}
