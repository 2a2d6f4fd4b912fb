import type { Clock } from '../../client/index.ts';

// ControllerExpectations (pkg/controller/controller_utils.go): how many pod creations and
// deletions a DaemonSet has asked for and not yet seen in its informer. While any are
// pending, the controller only writes status: a burst of events on one key cannot make it
// create a second pod for a node on a stale cache.
//
// - Creations are lowered by each add event of a pod the DaemonSet controls, and by each
//   create that failed or was skipped.
// - Deletions are pod keys, each lowered once, whether the informer first shows the pod
//   with a deletionTimestamp or only as deleted (kube counts both events and lets the
//   count go negative; naming the pods counts each exactly once).
// - Expectations expire five minutes after they were set; then the controller acts again.
// - A key without expectations (a new DaemonSet, or a deleted one) is satisfied.

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

  /** CreationObserved, or LowerExpectations for `n` creations never made. */
  creationObserved(key: string, n = 1): void {
    const exp = this.#byKey.get(key);
    if (exp) exp.adds -= n;
  }

  /** Counts the deletion of `podKey` once, and only if it was expected. */
  deletionObserved(key: string, podKey: string): void {
    this.#byKey.get(key)?.deletions.delete(podKey);
  }

  /** DeleteExpectations: forgets `key` (its DaemonSet is gone). */
  delete(key: string): void {
    this.#byKey.delete(key);
  }

  #expired(exp: Expectation): boolean {
    return this.#clock.now() - exp.at > EXPECTATIONS_TIMEOUT_MS;
  }
}
