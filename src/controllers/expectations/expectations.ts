import type { Clock } from '../../client/index.ts';

// ControllerExpectations with UID tracking (pkg/controller/controller_utils.go), shared
// by the ReplicaSet and DaemonSet controllers: how many pod creations and which pod
// deletions an owner has asked for and not yet seen in its informer. While they are
// pending the controller does not create or delete again, so a burst of events on a key
// cannot make it act twice on a stale cache (for a DaemonSet: a second pod on a node).
//
// - Creations are a count, lowered by each add event of a pod the owner controls, and by
//   each create that failed or was skipped.
// - Deletions are pod keys, each lowered once, whether the informer first shows the pod
//   with a deletionTimestamp or only as deleted (kube counts both events and lets the
//   count go negative; naming the pods counts each exactly once).
// - Expectations expire five minutes after they were set (a create that never shows up,
//   a watch that missed an event); then the controller acts again.
// - A key without expectations (a new owner, or a deleted one) is satisfied.

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  deletions: Set<string>;
  /** When they were set, on the controller's clock. */
  at: number;
}

export class Expectations {
  readonly #clock: Clock;
  readonly #byKey = new Map<string, Expectation>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** SatisfiedExpectations: nothing pending, expired, or never set. */
  satisfied(key: string): boolean {
    const exp = this.#byKey.get(key);
    if (!exp) return true;
    return (exp.adds <= 0 && exp.deletions.size === 0) || this.#expired(exp);
  }

  /** Milliseconds until pending expectations of `key` expire; undefined when satisfied. */
  expiresIn(key: string): number | undefined {
    const exp = this.#byKey.get(key);
    if (!exp || this.satisfied(key)) return undefined;
    return Math.max(0, exp.at + EXPECTATIONS_TIMEOUT_MS - this.#clock.now());
  }

  /** SetExpectations: replaces those of `key` by `adds` creations and these deletions. */
  set(key: string, adds: number, deletions: string[]): void {
    this.#byKey.set(key, { adds, deletions: new Set(deletions), at: this.#clock.now() });
  }

  /** ExpectCreations: replaces the expectations of `key` by `count` creations. */
  expectCreations(key: string, count: number): void {
    this.set(key, count, []);
  }

  /** ExpectDeletions: replaces the expectations of `key` by the deletion of these pods. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.set(key, 0, podKeys);
  }

  /** CreationObserved, or LowerExpectations for `n` creations never made. */
  creationObserved(key: string, n = 1): void {
    const exp = this.#byKey.get(key);
    if (exp) exp.adds -= n;
  }

  /** Counts the deletion of `podKey` once, and only if it was expected. */
  deletionObserved(key: string, podKey: string): void {
    this.#byKey.get(key)?.deletions.delete(podKey);
  }

  /** DeleteExpectations: forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.#byKey.delete(key);
  }

  #expired(exp: Expectation): boolean {
    return this.#clock.now() - exp.at > EXPECTATIONS_TIMEOUT_MS;
  }
}
