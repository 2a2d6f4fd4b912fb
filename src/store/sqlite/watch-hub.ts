import { BatchQueue } from '../batch-queue.ts';
import type { WatchEvent } from '../types.ts';

// Live fan-out of committed writes to in-process watchers. A watcher that starts in the
// past first replays the log; until that replay reaches the revision it registered at,
// live events wait in `held`, so the stream has no gap and no duplicate.

export interface Subscriber {
  readonly prefix: string;
  /** Only events after this revision are delivered. */
  readonly afterRevision: number;
  /**
   * The replay from the log covers revisions up to this one. Reads see a commit before
   * its flush to disk publishes it, so a replay can include writes whose live events come
   * later; those are not delivered twice.
   */
  readonly replayedUntil: number;
  readonly queue: BatchQueue<WatchEvent>;
  /** Live events waiting for the replay to finish; undefined once it has. */
  held: WatchEvent[] | undefined;
}

export class WatchHub {
  readonly #subscribers = new Set<Subscriber>();

  get size(): number {
    return this.#subscribers.size;
  }

  add(sub: Subscriber): void {
    this.#subscribers.add(sub);
  }

  remove(sub: Subscriber): void {
    this.#subscribers.delete(sub);
  }

  publish(events: WatchEvent[]): void {
    for (const sub of this.#subscribers) {
      const after = Math.max(sub.afterRevision, sub.replayedUntil);
      const mine = events.filter(
        (e) => e.kv.modRevision > after && e.kv.key.startsWith(sub.prefix),
      );
      if (mine.length === 0) continue;
      if (sub.held) sub.held.push(...mine);
      else sub.queue.push(...mine);
    }
  }

  /** Ends every stream; used when the store closes. */
  endAll(): void {
    for (const sub of this.#subscribers) sub.queue.end();
    this.#subscribers.clear();
  }
}
