import { execFile } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  watch,
  writeFileSync,
  writeSync,
  type FSWatcher,
} from 'node:fs';
import type { Logger } from '../../../client/index.ts';
import { formatRecord, LogClock, MAX_RECORD, type LogStream } from './cri-log.ts';
import { FILES, fileIn, type ContainerDirs, type ContainerFile } from './records.ts';

// Turns the two files a container writes (its stdout and stderr, opened O_APPEND before
// it started, so the process never depends on the agent) into the combined CRI log.
//
// Order across the streams: two files carry no order between each other, and a reader
// that races the writer loses it (`echo a; echo b >&2; echo c` writes within micro-
// seconds). inotify does carry it: the kernel queues one IN_MODIFY per write, in write
// order, on one queue per process (libuv shares one inotify instance among all fs.watch
// handles), merging only consecutive events of the same file. So the tailer records the
// sequence of *runs* (stdout, stderr, stdout, …) with the time each was seen, waits
// BATCH_MS for a burst to settle, then reads both files and deals the new lines out to
// the runs: every run but a stream's last in the batch gets one line, its last run gets
// the rest. That is exact for programs that write a line at a time and for bursts
// shorter than BATCH_MS, provided the files were watched before the process started
// (the driver makes the tailer first). Lines written while no agent watched come out
// stdout first, timestamped when read. A best effort by nature: only one channel shared
// by both streams could order them for sure, and that would put the agent in the path.
//
// Attach: listeners get the raw bytes as they are read, before any of this line work, so
// partial lines (a shell's prompt) reach an attached client at once.
//
// Disk: the combined log is rotated at `maxLogBytes` (one old file kept); the raw files
// are never truncated (the writer's offsets must stay valid) but what has been read is
// released with `fallocate --punch-hole`, so they stay sparse.

const STREAMS: LogStream[] = ['stdout', 'stderr'];
const BATCH_MS = 10;
const POLL_MS = 1000;
const CHUNK = 256 * 1024; // per stream and drain: a drain blocks the event loop
const PUNCH_STEP = 4 * 1024 * 1024;

export interface TailerOptions {
  dirs: ContainerDirs;
  maxLogBytes: number;
  fallocate?: string;
  log: Logger;
}

interface Unit {
  stream: LogStream;
  parts: Buffer[];
  terminated: boolean;
}

export interface OutputListener {
  data(stream: LogStream, chunk: Buffer): void;
  /** Nothing more will come: the container ended (all read), or tailing stopped. */
  end(): void;
}

/** How many reads catching up may take before a listener joins (bounds a busy writer). */
const CATCH_UP_READS = 16;

export class LogTailer {
  readonly #o: TailerOptions;
  readonly #fds: Partial<Record<LogStream, number>> = {};
  readonly #pos = { stdout: 0, stderr: 0 };
  readonly #punched = { stdout: 0, stderr: 0 };
  readonly #partial = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  readonly #clock = new LogClock();
  readonly #waiters = new Set<() => void>();
  readonly #outputs = new Set<OutputListener>();
  #runs: Array<{ stream: LogStream; ms: number }> = [];
  #watchers: FSWatcher[] = [];
  #batch?: NodeJS.Timeout;
  #poll?: NodeJS.Timeout;
  #logFd?: number;
  #done = false;
  #stopped = false;
  #punchFailed = false;

  constructor(options: TailerOptions) {
    this.#o = options;
    try {
      Object.assign(this.#pos, JSON.parse(readFileSync(this.#path(FILES.offsets), 'utf8')));
      Object.assign(this.#punched, this.#pos);
    } catch {
      // no offsets yet: from the start
    }
    for (const stream of STREAMS) {
      try {
        this.#fds[stream] = openSync(this.#path(stream), 'r');
        const watcher = watch(this.#path(stream), { persistent: false }, () => this.#event(stream));
        watcher.on('error', () => undefined); // the periodic drain still reads
        this.#watchers.push(watcher);
      } catch (err) {
        const dir = this.#o.dirs.dir;
        this.#o.log.warn({ err, dir }, `cannot watch the container's ${stream}`);
      }
    }
    this.#poll = setInterval(() => this.#drain(false), POLL_MS).unref();
    this.#drain(false);
  }

  /** True once the container has exited and all its output is in the combined log. */
  get done(): boolean {
    return this.#done;
  }

  /** Resolves at the next append to the combined log, at the end, or after a while. */
  changed(signal?: AbortSignal): Promise<void> {
    if (this.#done || this.#stopped || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        this.#waiters.delete(wake);
        resolve();
      };
      // Referenced: someone follows the log, the process should not end under them.
      const timer = setTimeout(wake, POLL_MS);
      signal?.addEventListener('abort', wake);
      this.#waiters.add(wake);
    });
  }

  /**
   * Calls `listener` with what the container writes from now on; what it wrote before is
   * read (and logged) first. Returns a function that removes the listener.
   */
  onOutput(listener: OutputListener): () => void {
    if (this.#stopped) {
      listener.end();
      return () => undefined;
    }
    for (let i = 0; i < CATCH_UP_READS && this.#drain(false); i++) {
      // reading what came before the listener
    }
    this.#outputs.add(listener);
    return () => this.#outputs.delete(listener);
  }

  /** The container has exited: logs what is left, unterminated last lines included. */
  async finish(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // the last events (see #event)
    if (this.#stopped) return;
    while (this.#drain(true)) {
      // until both files are read to their end
    }
    this.#done = true;
    this.stop();
  }

  /** Stops tailing (the agent lets go of the container); offsets are kept for the next. */
  stop(): void {
    if (this.#stopped) return;
    if (!this.#done) this.#drain(false);
    this.#stopped = true;
    clearTimeout(this.#batch);
    clearInterval(this.#poll);
    for (const w of this.#watchers) w.close();
    for (const fd of [...Object.values(this.#fds), this.#logFd]) {
      if (fd !== undefined) closeSync(fd);
    }
    this.#wake();
    for (const listener of this.#outputs) listener.end();
    this.#outputs.clear();
  }

  #path(file: ContainerFile): string {
    return fileIn(this.#o.dirs, file);
  }

  #event(stream: LogStream): void {
    if (this.#runs.at(-1)?.stream !== stream) this.#runs.push({ stream, ms: Date.now() });
    // Drained from the check phase, after a poll phase: events the kernel queued while the
    // timer was due are dispatched first, so that no line is read before its event.
    this.#batch ??= setTimeout(
      () =>
        setImmediate(() => {
          this.#batch = undefined;
          this.#drain(false);
        }),
      BATCH_MS,
    ).unref();
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Reads what is new and logs it; true when a file had more than one chunk to give. */
  #drain(final: boolean): boolean {
    if (this.#stopped) return false;
    const runs = this.#runs;
    this.#runs = [];
    const units: Record<LogStream, Unit[]> = { stdout: [], stderr: [] };
    let more = false;
    for (const stream of STREAMS) {
      const fd = this.#fds[stream];
      if (fd === undefined) continue;
      const unread = fstatSync(fd).size - this.#pos[stream];
      const data = Buffer.alloc(Math.max(Math.min(unread, CHUNK), 0));
      const read = data.length > 0 ? readSync(fd, data, 0, data.length, this.#pos[stream]) : 0;
      this.#pos[stream] += read;
      more ||= unread > CHUNK;
      if (read > 0) for (const l of this.#outputs) l.data(stream, data.subarray(0, read));
      units[stream] = this.#split(stream, data.subarray(0, read), final && unread <= CHUNK);
    }
    const total = units.stdout.length + units.stderr.length;
    if (total > 0) this.#write(this.#deal(runs, units));
    if (more && !final) setImmediate(() => this.#drain(false));
    return more;
  }

  /** Complete lines (and over-long fragments) of the new data; the rest waits. */
  #split(stream: LogStream, data: Buffer, final: boolean): Unit[] {
    let buffer = this.#partial[stream].length ? Buffer.concat([this.#partial[stream], data]) : data;
    const units: Unit[] = [];
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10)) {
      units.push({ stream, parts: fragments(buffer.subarray(0, nl)), terminated: true });
      buffer = buffer.subarray(nl + 1);
    }
    if (buffer.length > MAX_RECORD || (final && buffer.length > 0)) {
      const keep = final ? 0 : buffer.length % MAX_RECORD;
      units.push({
        stream,
        parts: fragments(buffer.subarray(0, buffer.length - keep)),
        terminated: false,
      });
      buffer = buffer.subarray(buffer.length - keep);
    }
    this.#partial[stream] = Buffer.from(buffer);
    return units;
  }

  /** Interleaves the streams' lines along the observed runs of writes (see the top). */
  #deal(runs: Array<{ stream: LogStream; ms: number }>, units: Record<LogStream, Unit[]>) {
    const left = { stdout: 0, stderr: 0 };
    for (const run of runs) left[run.stream]++;
    const out: Array<{ unit: Unit; ms: number }> = [];
    for (const run of runs) {
      const take = --left[run.stream] > 0 ? 1 : Infinity;
      for (const unit of units[run.stream].splice(0, take)) out.push({ unit, ms: run.ms });
    }
    const now = Date.now();
    for (const stream of STREAMS) for (const unit of units[stream]) out.push({ unit, ms: now });
    return out;
  }

  #write(lines: Array<{ unit: Unit; ms: number }>): void {
    const records = lines.flatMap(({ unit, ms }) =>
      unit.parts.map((content, i) =>
        formatRecord({
          timestamp: this.#clock.next(ms),
          stream: unit.stream,
          partial: !unit.terminated || i < unit.parts.length - 1,
          content,
        }),
      ),
    );
    const data = Buffer.concat(records);
    this.#logFd ??= openSync(this.#path(FILES.log), 'a');
    const size = fstatSync(this.#logFd).size;
    // Rotated before a write that would cross the limit: only a single batch larger than
    // the limit makes a file larger.
    if (size > 0 && size + data.length > this.#o.maxLogBytes) {
      closeSync(this.#logFd);
      renameSync(this.#path(FILES.log), `${this.#path(FILES.log)}.1`);
      this.#logFd = openSync(this.#path(FILES.log), 'a');
    }
    writeSync(this.#logFd, data);
    const consumed = {
      stdout: this.#pos.stdout - this.#partial.stdout.length,
      stderr: this.#pos.stderr - this.#partial.stderr.length,
    };
    const tmp = `${this.#path(FILES.offsets)}.tmp`;
    writeFileSync(tmp, JSON.stringify(consumed));
    renameSync(tmp, this.#path(FILES.offsets));
    for (const stream of STREAMS) this.#punch(stream, consumed[stream]);
    this.#wake();
  }

  #punch(stream: LogStream, consumed: number): void {
    const upTo = consumed - (consumed % 4096);
    const { fallocate } = this.#o;
    if (!fallocate || this.#punchFailed || upTo - this.#punched[stream] < PUNCH_STEP) return;
    const from = this.#punched[stream];
    this.#punched[stream] = upTo;
    const args = ['--punch-hole', '--offset', `${from}`, '--length', `${upTo - from}`];
    execFile(fallocate, [...args, this.#path(stream)], (err) => {
      if (!err || this.#punchFailed) return;
      this.#punchFailed = true;
      const dir = this.#o.dirs.dir;
      this.#o.log.warn({ err, dir }, 'cannot release read container output');
    });
  }
}

function fragments(line: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < line.length; i += MAX_RECORD) parts.push(line.subarray(i, i + MAX_RECORD));
  return parts.length > 0 ? parts : [Buffer.alloc(0)];
}
