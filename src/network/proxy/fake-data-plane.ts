import type { DataPlane, ProxyTable } from './types.ts';

// A data plane that routes nothing and remembers what it was asked to apply, for tests of
// the controller. `failNext` makes the next applies reject, to exercise retries; `drift`
// is what `verify` reports, as if another program had changed the rules.

export class FakeDataPlane implements DataPlane {
  readonly mode = 'fake' as const;
  /** Every table applied successfully, oldest first (copies: later changes do not leak in). */
  readonly applied: ProxyTable[] = [];
  /** Calls to `apply`, including those that failed. */
  applyCalls = 0;
  closed = false;
  /** What `verify` answers; an apply puts everything back (clears it). */
  drift: string[] = [];
  verifyCalls = 0;
  #failures = 0;
  #waiters: (() => void)[] = [];

  /** The table in force: the last applied, or undefined before any. */
  get current(): ProxyTable | undefined {
    return this.applied.at(-1);
  }

  /** Makes the next `count` calls to `apply` reject. */
  failNext(count = 1): void {
    this.#failures = count;
  }

  async apply(table: ProxyTable): Promise<void> {
    this.applyCalls++;
    if (this.closed) throw new Error('fake data plane: apply after close');
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error('fake data plane: injected failure');
    }
    this.applied.push(structuredClone(table));
    this.drift = [];
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async verify(): Promise<string[]> {
    this.verifyCalls++;
    return [...this.drift];
  }

  /** Resolves once a table satisfying `predicate` is in force. */
  async waitFor(predicate: (table: ProxyTable) => boolean): Promise<ProxyTable> {
    for (;;) {
      const table = this.current;
      if (table && predicate(table)) return table;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
