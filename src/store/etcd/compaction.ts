import type { KVClient } from 'etcd3';
import { StoreError } from '../types.ts';
import { isCompactedError } from './errors.ts';

// etcd has no call that returns its compacted revision, and other clients may compact the
// same cluster. What is known is kept in memory; when it may be stale it is found again
// from the rule etcd applies to reads: a read at revision r fails as compacted exactly
// when r < compacted revision. One read confirms the known value; a newer compaction is
// found by bisection, a few dozen cheap reads of an empty key.

/** A key no wharf object uses, so probing reads return nothing. */
const PROBE_KEY = Buffer.from([0]);

export class CompactionTracker {
  readonly #kv: KVClient;
  #known = 0;

  constructor(kv: KVClient) {
    this.#kv = kv;
  }

  /** Records that etcd is compacted to at least `revision`. */
  observe(revision: number): void {
    if (revision > this.#known) this.#known = revision;
  }

  /** The revision etcd is compacted to, 0 when it never was. */
  async current(): Promise<number> {
    const floor = Math.max(this.#known, 1);
    if (await this.#readable(floor)) return this.#known;
    const { header } = await this.#kv.range({ key: PROBE_KEY, count_only: true });
    // Invariant: reads at `low` fail, reads at `high` succeed (compaction never passes
    // the current revision).
    let low = floor;
    let high = Number(header.revision);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await this.#readable(mid)) high = mid;
      else low = mid;
    }
    this.observe(high);
    return this.#known;
  }

  /** The Compacted error for a read at `revision` that etcd refused. */
  async errorFor(revision: number, cause: unknown): Promise<StoreError> {
    this.observe(revision + 1);
    const compactedRevision = await this.current().catch(() => this.#known);
    return new StoreError(
      'Compacted',
      `revision ${revision} has been compacted (the store is compacted to ${compactedRevision})`,
      { compactedRevision, cause },
    );
  }

  /** Compacts to `revision`; a revision that is already compacted is not an error. */
  async compact(revision: number): Promise<void> {
    try {
      await this.#kv.compact({ revision, physical: false });
      this.observe(revision);
    } catch (err) {
      if (!isCompactedError(err)) throw err;
      this.observe(revision);
    }
  }

  async #readable(revision: number): Promise<boolean> {
    try {
      await this.#kv.range({ key: PROBE_KEY, revision, count_only: true });
      return true;
    } catch (err) {
      if (isCompactedError(err)) return false;
      throw err;
    }
  }
}
