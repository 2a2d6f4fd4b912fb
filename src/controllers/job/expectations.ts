// ControllerExpectations (pkg/controller/controller_utils.go): how many pod creations and
// deletions a Job still waits to see in the informer cache. Until they arrive (or five
// minutes pass), a sync does not create or delete pods again, so a burst of events
// cannot make it act twice on a stale cache. Also the UIDs of pods whose tracking
// finalizer this controller removed and whose update it has not seen yet.

const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Pending {
  add: number;
  del: number;
  at: number;
}

export class Expectations {
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  satisfied(key: string): boolean {
    const p = this.#pending.get(key);
    if (!p) return true;
    return (p.add <= 0 && p.del <= 0) || this.#now() - p.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.#pending.set(key, { add: n, del: 0, at: this.#now() });
  }

  expectDeletions(key: string, n: number): void {
    this.#pending.set(key, { add: 0, del: n, at: this.#now() });
  }

  creationObserved(key: string): void {
    const p = this.#pending.get(key);
    if (p) p.add--;
  }

  deletionObserved(key: string): void {
    const p = this.#pending.get(key);
    if (p) p.del--;
  }

  delete(key: string): void {
    this.#pending.delete(key);
  }
}

export class FinalizerExpectations {
  readonly #uids = new Map<string, Set<string>>();

  expectRemoved(key: string, uids: string[]): void {
    const set = this.#uids.get(key) ?? new Set<string>();
    for (const uid of uids) set.add(uid);
    this.#uids.set(key, set);
  }

  removalObserved(key: string, uid: string): void {
    const set = this.#uids.get(key);
    set?.delete(uid);
    if (set?.size === 0) this.#uids.delete(key);
  }

  expected(key: string): Set<string> {
    return new Set(this.#uids.get(key) ?? []);
  }

  delete(key: string): void {
    this.#uids.delete(key);
  }
}
