import { open, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../../client/index.ts';
import { killCgroup, oomKilled, removeCgroups } from './cgroups.ts';
import { LogTailer } from './log-tailer.ts';
import { isAlive, signalGroup } from '../host/index.ts';
import { FILES, type ContainerRecord, type RecordStore } from './records.ts';

// One watcher per running container and agent process: it tails the container's output
// and notices its end — through the child's 'exit' event when this process started it,
// by polling /proc otherwise (an adopted container is not our child) — then settles the
// record exactly once: exit code (the shim's file, else the signal, else 137), reason
// (OOMKilled from the memory cgroup), leftovers killed, cgroups removed. Drivers of the
// same process share watchers through a reference-counted registry, so a second driver
// of an instance (a restarted agent in tests) neither tails nor settles twice.

const POLL_MS = 500;

export interface WatchContext {
  store: RecordStore;
  log: Logger;
  maxLogBytes: number;
  fallocate?: string;
}

export interface Launch {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  setup: Promise<string | undefined>;
}

interface Ending {
  code?: number | null;
  signal?: NodeJS.Signals | null;
  /** Noticed right away: the pid cannot have been reused, the group may still be killed. */
  prompt: boolean;
}

export class ContainerWatch {
  readonly id: string;
  readonly tailer: LogTailer;
  /** Settles with the final record once the container exited and everything is recorded. */
  readonly exited: Promise<ContainerRecord>;
  readonly #ctx: WatchContext;
  readonly #subscribers = new Set<(record: ContainerRecord) => void>();
  #record?: ContainerRecord;
  #launch?: Launch;
  #resolve!: (record: ContainerRecord) => void;
  #poll?: NodeJS.Timeout;
  #ending = false;
  #closed = false;

  /**
   * Starts tailing the container's output files, which must exist. A container being
   * started is watched before it is spawned: inotify only reports writes made after.
   */
  constructor(ctx: WatchContext, id: string) {
    this.#ctx = ctx;
    this.id = id;
    this.exited = new Promise((resolve) => (this.#resolve = resolve));
    this.tailer = new LogTailer({
      dirs: ctx.store.containerDirs(id),
      log: ctx.log,
      maxLogBytes: ctx.maxLogBytes,
      fallocate: ctx.fallocate,
    });
  }

  /** Starts watching for the end of the running container; the first call counts. */
  start(record: ContainerRecord, launch?: Launch): void {
    if (this.#record || this.#closed) return;
    this.#record = record;
    this.#launch = launch;
    if (launch) {
      void launch.exit.then((how) => this.#end({ ...how, prompt: true }));
    } else {
      void this.#check(false);
      this.#poll = setInterval(() => void this.#check(true), POLL_MS).unref();
    }
  }

  /**
   * `exited`, for a caller that waits for it: the watcher itself holds no reference on
   * the event loop (an agent may end while containers run), the wait does.
   */
  async ended(): Promise<ContainerRecord> {
    const keepAlive = setInterval(() => undefined, 60_000);
    return this.exited.finally(() => clearInterval(keepAlive));
  }

  subscribe(listener: (record: ContainerRecord) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** Lets go of a container that keeps running (no driver of this process holds it). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    if (!this.#ending) this.tailer.stop();
  }

  async #check(prompt: boolean): Promise<void> {
    const { pid, pidStartTime } = this.#record!;
    if (pid && pidStartTime && (await isAlive(pid, pidStartTime))) return;
    await this.#end({ prompt });
  }

  async #end(ending: Ending): Promise<void> {
    // Once let go, the end is left to the next watcher (it reads the rest of the output).
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    clearInterval(this.#poll);
    const { store, log } = this.#ctx;
    const record = (await store.readContainer(this.id)) ?? this.#record!;
    const setupProblem = await this.#launch?.setup;
    // The last writes' inotify events may still be on their way; they order the lines.
    await sleep(20);
    if (ending.prompt && record.pid) signalGroup(record.pid, 'SIGKILL'); // what it left behind
    let oom = false;
    if (record.cgroups) {
      oom = await oomKilled(record.cgroups);
      await killCgroup(record.cgroups);
    }
    await this.tailer.finish();
    const final: ContainerRecord = {
      ...record,
      state: 'exited',
      finishedAt: new Date().toISOString(),
    };
    if (setupProblem !== undefined) {
      Object.assign(final, { exitCode: 128, reason: 'StartError' });
      final.message =
        setupProblem || (await this.#stderrTail().catch(() => '')) || 'the container did not start';
    } else {
      final.exitCode = await this.#exitCode(ending);
      final.reason = oom ? 'OOMKilled' : final.exitCode === 0 ? 'Completed' : 'Error';
    }
    if (record.cgroups) {
      await removeCgroups(record.cgroups).catch((err: unknown) =>
        log.warn({ err, container: this.id }, 'cannot remove the cgroups of a container'),
      );
    }
    await store.writeContainer(final).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') log.error({ err, container: this.id }, 'cannot record an exit');
    });
    this.#resolve(final);
    for (const listener of this.#subscribers) listener(final);
  }

  async #exitCode(ending: Ending): Promise<number> {
    const file = this.#ctx.store.containerFile(this.id, FILES.exit);
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^\d+\s*$/.test(text)) return Number(text);
    // No file: the shim itself was killed, by a stop's SIGKILL or the OOM killer.
    if (ending.signal) return 128 + constants.signals[ending.signal];
    return ending.code ?? 137;
  }

  async #stderrTail(): Promise<string> {
    const handle = await open(this.#ctx.store.containerFile(this.id, FILES.stderr), 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.min(size, 1024));
      await handle.read({ buffer, position: size - buffer.length });
      return buffer.toString().trim();
    } finally {
      await handle.close();
    }
  }
}

const registry = new Map<string, { watch: ContainerWatch; refs: number }>();

/** The process's watcher of a container, made on first use; release when done. */
export function acquireWatch(ctx: WatchContext, id: string): ContainerWatch {
  const key = ctx.store.containerDir(id);
  const entry = registry.get(key) ?? { watch: new ContainerWatch(ctx, id), refs: 0 };
  entry.refs++;
  registry.set(key, entry);
  return entry.watch;
}

export function releaseWatch(store: RecordStore, id: string): void {
  const key = store.containerDir(id);
  const entry = registry.get(key);
  if (!entry || --entry.refs > 0) return;
  registry.delete(key);
  entry.watch.close();
}

export function findWatch(store: RecordStore, id: string): ContainerWatch | undefined {
  return registry.get(store.containerDir(id))?.watch;
}

/** One driver's references on watchers, each with the driver's exit listener. */
export class WatchHolder {
  readonly #ctx: WatchContext;
  readonly #onExit: (record: ContainerRecord) => void;
  readonly #held = new Map<string, () => void>();

  constructor(ctx: WatchContext, onExit: (record: ContainerRecord) => void) {
    this.#ctx = ctx;
    this.#onExit = onExit;
  }

  /** The container's watcher, referenced once by this holder; not yet watching for the end. */
  acquire(id: string): ContainerWatch {
    if (!this.#held.has(id))
      this.#held.set(id, acquireWatch(this.#ctx, id).subscribe(this.#onExit));
    return findWatch(this.#ctx.store, id)!;
  }

  /** The watcher of a running container, watching for its end. */
  hold(record: ContainerRecord): ContainerWatch {
    const watch = this.acquire(record.id);
    watch.start(record);
    return watch;
  }

  release(id: string): void {
    const unsubscribe = this.#held.get(id);
    if (!unsubscribe) return;
    unsubscribe();
    this.#held.delete(id);
    releaseWatch(this.#ctx.store, id);
  }

  releaseAll(): void {
    for (const id of [...this.#held.keys()]) this.release(id);
  }
}
