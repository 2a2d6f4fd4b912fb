import { spawn, type ChildProcess } from 'node:child_process';
import { stderrLogger, type Logger } from '../../../client/index.ts';
import { isAlive } from './proc.ts';
import { HELPER_SOURCE } from './spawner-helper.ts';

// Every process the runtime starts on a pod's way to running (containers, the pod
// network's `ip` runs, CNI plugins) is forked by a small helper process, never by the
// agent. fork() copies the page tables of the process that calls it: for an agent that
// shares its process with the API server that costs ~5–20 ms of a stalled event loop per
// child, and a pod needs at least two. The helper is a bare Node process of a few tens of
// MB on the other core; the agent only sends it messages.
//
// One helper serves every driver of the agent's process (acquireSpawner/release). When it
// ends unexpectedly, what it launched is watched by polling /proc instead (an exit code
// then comes from the shim's file, as for adopted containers), and the next request
// starts a new helper.

const POLL_MS = 500;
const RUN_TIMEOUT_MS = 30_000;

export interface LaunchRequest {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Files the process's stdout and stderr are appended to. */
  stdout: string;
  stderr: string;
  /**
   * Directories made, then files written, before the process is spawned (the
   * container's cgroups: cgroups.ts says why there). A failure fails the launch with an
   * error whose `stage` is `prepare`.
   */
  prepare?: { dirs: string[]; files: Array<{ path: string; text: string }> };
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Launched {
  pid: number;
  startTime: string;
  /** What the process wrote on fd 3 before closing it (the shim's "ok" or why not). */
  setup: Promise<string>;
  /** Its end, as its parent saw it; code and signal are null when no parent could tell. */
  exit: Promise<ChildExit>;
}

export interface RunStep {
  file: string;
  args: string[];
  env?: Record<string, string>;
  input?: string;
  /** A failure of this step does not stop the steps after it. */
  tolerate?: boolean;
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Why it could not be started (ENOENT, …). */
  error?: string;
}

interface Waiting {
  answer(message: Record<string, unknown>): void;
  /** The helper ended before answering. */
  lost(): void;
  launched?: { pid: number; startTime: string };
  setup?: (said: string) => void;
  exit?: (exit: ChildExit) => void;
}

export class Spawner {
  readonly #log: Logger;
  #child?: ChildProcess;
  #nextId = 1;
  /** Requests not answered yet (launches: until their setup): they keep the event loop alive. */
  #unanswered = 0;
  readonly #waiting = new Map<number, Waiting>();
  #closed = false;

  constructor(log: Logger = stderrLogger) {
    this.#log = log;
  }

  /** Starts a detached process (its own session), as launch.ts describes. */
  launch(request: LaunchRequest): Promise<Launched> {
    return new Promise((resolve, reject) => {
      let setupDone!: (said: string) => void;
      let exited!: (exit: ChildExit) => void;
      const setup = new Promise<string>((r) => (setupDone = r));
      const exit = new Promise<ChildExit>((r) => (exited = r));
      const waiting: Waiting = {
        answer: (m) => {
          if (typeof m.error === 'string') {
            this.#forget(id);
            reject(Object.assign(new Error(m.error), m.stage ? { stage: m.stage } : {}));
            return;
          }
          waiting.launched = { pid: m.pid as number, startTime: m.startTime as string };
          resolve({ ...waiting.launched, setup, exit });
        },
        lost: () => reject(new Error('the process runtime’s spawner ended before answering')),
        setup: setupDone,
        exit: exited,
      };
      const id = this.#send({ op: 'launch', ...request }, waiting);
    });
  }

  /** Runs the steps in order, each to its end; stops after the first failure not tolerated. */
  run(steps: RunStep[], timeoutMs = RUN_TIMEOUT_MS): Promise<StepResult[]> {
    return new Promise((resolve, reject) => {
      const id = this.#send(
        { op: 'run', steps, timeoutMs },
        {
          answer: (m) => {
            this.#forget(id);
            if (typeof m.error === 'string') reject(new Error(m.error));
            else resolve(m.results as StepResult[]);
          },
          lost: () => reject(new Error('the process runtime’s spawner ended before answering')),
        },
      );
    });
  }

  /** Lets the helper go; what it launched is watched through /proc from now on. */
  close(): void {
    this.#closed = true;
    const child = this.#child;
    this.#child = undefined;
    if (child?.connected) child.disconnect();
    this.#orphanAll();
  }

  #send(message: Record<string, unknown>, waiting: Waiting): number {
    const child = this.#helper();
    const id = this.#nextId++;
    this.#waiting.set(id, waiting);
    this.#answered(+1);
    child.send({ id, ...message }, (err) => {
      if (err && this.#waiting.get(id) === waiting && !waiting.launched) {
        this.#forget(id);
        waiting.lost();
      }
    });
    return id;
  }

  #helper(): ChildProcess {
    if (this.#child) return this.#child;
    this.#closed = false;
    // No NODE_OPTIONS: the helper loads nothing the agent was started with (tsx, …).
    const child = spawn(process.execPath, ['-e', HELPER_SOURCE], {
      // Its stderr is the agent's: a helper that fails says so where the agent would.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { PATH: process.env.PATH ?? '' },
      serialization: 'json',
    });
    child.on('message', (m: Record<string, unknown>) => this.#onMessage(m));
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (!this.#closed) {
        this.#log.error({ code, signal }, 'the process runtime’s spawner ended; starting anew');
      }
      this.#orphanAll();
    });
    // Neither the helper nor its channel keeps the agent alive; unanswered requests do.
    child.unref();
    child.channel?.unref();
    this.#child = child;
    this.#unanswered = 0;
    return child;
  }

  #onMessage(m: Record<string, unknown>): void {
    const id = m.id as number;
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    if (m.event === 'setup') {
      this.#answered(-1);
      waiting.setup?.(m.said as string);
    } else if (m.event === 'exit') {
      this.#forget(id);
      waiting.exit?.({ code: m.code as number | null, signal: m.signal as NodeJS.Signals | null });
    } else {
      // A launch is answered for good once its setup is reported (its caller waits).
      if (!waiting.setup || typeof m.error === 'string') this.#answered(-1);
      waiting.answer(m);
    }
  }

  #forget(id: number): void {
    this.#waiting.delete(id);
  }

  #answered(delta: number): void {
    this.#unanswered = Math.max(0, this.#unanswered + delta);
    if (this.#unanswered > 0) this.#child?.channel?.ref();
    else this.#child?.channel?.unref();
  }

  /** The helper is gone: launched processes are polled, unanswered requests fail. */
  #orphanAll(): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#unanswered = 0;
    for (const w of waiting) {
      if (!w.launched) {
        w.lost();
        continue;
      }
      // A setup not reported by now will never be: the shim's fd 3 had no reader left.
      w.setup?.('the process runtime’s spawner ended while the container was starting');
      const { pid, startTime } = w.launched;
      const poll = setInterval(() => {
        void isAlive(pid, startTime).then((alive) => {
          if (alive) return;
          clearInterval(poll);
          w.exit?.({ code: null, signal: null });
        });
      }, POLL_MS).unref();
    }
  }
}

let shared: { spawner: Spawner; refs: number } | undefined;

/** The process's spawner, shared by its drivers; each release()s it once when closing. */
export function acquireSpawner(log?: Logger): { spawner: Spawner; release(): void } {
  shared ??= { spawner: new Spawner(log), refs: 0 };
  const entry = shared;
  entry.refs++;
  let released = false;
  return {
    spawner: entry.spawner,
    release() {
      if (released) return;
      released = true;
      if (--entry.refs > 0) return;
      entry.spawner.close();
      if (shared === entry) shared = undefined;
    },
  };
}
