import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

// A kubectl that keeps running while a test talks to it (attach, run -i): its output as it
// comes, its stdin to write to, and its exit. Every wait is bounded by a deadline.

const WAIT_MS = 60_000;

export interface KubectlSession {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  write(text: string): void;
  endInput(): void;
  /** Resolves once stdout (or stdout and stderr, for a terminal) matches. */
  waitFor(pattern: RegExp, what: string): Promise<void>;
  /** The exit code (a signal counts as 128 + its number). */
  exited(): Promise<number>;
  kill(): void;
}

export function startKubectl(
  binary: string,
  args: string[],
  opts: { underTerminal?: { columns: number; rows: number } } = {},
): KubectlSession {
  let child: ChildProcess;
  if (opts.underTerminal) {
    // util-linux `script` gives kubectl a pseudo-terminal (for -t), sized as asked; what
    // is written to its stdin reaches kubectl as typed keys.
    const { columns, rows } = opts.underTerminal;
    const line = [binary, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    child = spawn('script', [
      '-qec',
      `stty cols ${columns} rows ${rows}; exec ${line}`,
      '/dev/null',
    ]);
  } else {
    child = spawn(binary, args);
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  child.stdin!.on('error', () => undefined); // kubectl may be gone before the test writes
  const exit = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1))),
  );
  const stdout = () => Buffer.concat(out).toString();
  const stderr = () => Buffer.concat(err).toString();
  const timer = setTimeout(() => child.kill('SIGKILL'), 4 * WAIT_MS);
  void exit.then(() => clearTimeout(timer));
  return {
    child,
    stdout,
    stderr,
    write: (text) => child.stdin!.write(text),
    endInput: () => child.stdin!.end(),
    async waitFor(pattern, what) {
      const deadline = Date.now() + WAIT_MS;
      let ended = false;
      void exit.then(() => (ended = true));
      while (Date.now() < deadline) {
        if (pattern.test(stdout())) return;
        if (ended) break;
        await sleep(50);
      }
      throw new Error(
        `kubectl ${args.join(' ')}: never printed ${what}\nstdout: ${stdout()}\nstderr: ${stderr()}`,
      );
    },
    async exited() {
      const cancel = new AbortController();
      const deadline = sleep(WAIT_MS, 'timeout' as const, { signal: cancel.signal }).catch(
        () => 'cancelled' as const,
      );
      const result = await Promise.race([exit, deadline]);
      cancel.abort();
      if (typeof result !== 'number') {
        child.kill('SIGKILL');
        throw new Error(
          `kubectl ${args.join(' ')} did not end\nstdout: ${stdout()}\nstderr: ${stderr()}`,
        );
      }
      return result;
    },
    kill: () => child.kill(),
  };
}
