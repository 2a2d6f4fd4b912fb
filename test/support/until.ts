import assert from 'node:assert/strict';

// Polling for the end-to-end tests: ask `check` until it answers something other than
// undefined, remembering its last error for the failure message. Bounded in time.

export interface UntilOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between two checks (default 200 ms). */
  intervalMs?: number;
}

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: UntilOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
  assert.fail(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

/** until() for checks that answer a falsy value (false, 0, '', null) while not yet done. */
export async function untilTruthy<T>(
  what: string,
  check: () => Promise<T>,
  opts: UntilOptions = {},
): Promise<NonNullable<T>> {
  return until(what, async () => (await check()) || undefined, opts) as Promise<NonNullable<T>>;
}
