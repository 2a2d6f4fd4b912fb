import type { Clock } from '../../client/index.ts';

// ControllerExpectations with UID tracking (pkg/controller/controller_utils.go): how many
// pod creations and which pod deletions a controller has asked for and not yet seen in
// its informer. While they are pending the controller does not create or delete again,
// so a burst of events on a key cannot make it act twice on a stale cache.
//
// - Creations are a count, lowered by every add event of a pod the owner controls.
// - Deletions are pod keys, each lowered once, whether the informer shows the pod with
//   a deletionTimestamp or as deleted.
// - Expectations expire five minutes after they were set (a create that never shows up,
//   a watch that missed an event); then the controller acts again.
// - A key without expectations (new owner, or deleted) is satisfied.

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  add: number;
  del: number;
  /** When they were set, on the controller's clock. */
  at: number;
}

export class Expectations {
  readonly #clock: Clock;
  readonly #byKey = new Map<string, Expectation>();
  /** The pod keys each owner expects to see deleted. */
  readonly #deletions = new Map<string, Set<string>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** SatisfiedExpectations: nothing pending, expired, or never set. */
  satisfied(key: string): boolean {
    const exp = this.#byKey.get(key);
    if (!exp) return true;
    return (exp.add <= 0 && exp.del <= 0) || this.#expired(exp);
  }

  /** Milliseconds until pending expectations of `key` expire; undefined when satisfied. */
  expiresIn(key: string): number | undefined {
    const exp = this.#byKey.get(key);
    if (!exp || this.satisfied(key)) return undefined;
    return Math.max(0, exp.at + EXPECTATIONS_TIMEOUT_MS - this.#clock.now());
  }

  /** Replaces the expectations of `key` by `count` creations. */
  expectCreations(key: string, count: number): void {
    this.#byKey.set(key, { add: count, del: 0, at: this.#clock.now() });
  }

  /** Replaces the expectations of `key` by the deletion of these pods. */
  expectDeletions(key: string, podKeys: string[]): void {
    const keys = new Set(podKeys);
    this.#deletions.set(key, keys);
    this.#byKey.set(key, { add: 0, del: keys.size, at: this.#clock.now() });
  }

  creationObserved(key: string): void {
    const exp = this.#byKey.get(key);
    if (exp) exp.add--;
  }

  /** Counts the deletion of `podKey` once, and only if it was expected. */
  deletionObserved(key: string, podKey: string): void {
    const keys = this.#deletions.get(key);
    if (!keys?.delete(podKey)) return;
    const exp = this.#byKey.get(key);
    if (exp) exp.del--;
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.#byKey.delete(key);
    this.#deletions.delete(key);
  }

  #expired(exp: Expectation): boolean {
    return this.#clock.now() - exp.at > EXPECTATIONS_TIMEOUT_MS;
  }
}
