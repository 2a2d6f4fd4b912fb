import { close, constants as fsConstants, open, write } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { Logger } from '../../../client/index.ts';
import type { AttachOptions, AttachSession } from '../types.ts';
import type { HostTools } from './host.ts';
import type { LogTailer } from './log-tailer.ts';
import { FILES, fileIn, type ContainerDirs, type ContainerRecord } from './records.ts';
import { containerTerminal, TerminalResizer } from './terminal.ts';

// Attaching to a container's main process without being its parent (it outlives agents):
//
//   output  the bytes of its stdout and stderr files, from the tailer, as they are read;
//   stdin   a writer on its stdin FIFO (launch.ts), held while the client's stdin is open;
//   resize  `stty` on its terminal (terminal.ts).
//
// When the client's stdin ends the session detaches, except with stdinOnce and no TTY:
// then the container's stdin is closed for good (the shim's holder is released and the
// `stdin-closed` mark keeps later attaches from writing) and the output follows until the
// exit — as Docker and containerd do it.

export interface AttachTarget {
  record: ContainerRecord;
  dirs: ContainerDirs;
  tailer: LogTailer;
  tools: HostTools;
  log: Logger;
  /** Whether the container's process still runs. */
  running: () => boolean;
}

export async function attachProcess(
  target: AttachTarget,
  options: AttachOptions,
): Promise<AttachSession> {
  const { record, dirs } = target;
  const tty = record.tty === true;
  const stdinOnce = record.stdinOnce === true && !tty;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Referenced while attached, as a follower of the logs is: the tailer and watcher are not.
  const keepAlive = setInterval(() => undefined, 60_000);
  void finished.then(() => clearInterval(keepAlive));

  const writes = new Set<Promise<void>>();
  const write = (to: Writable | undefined, chunk: Buffer) => {
    if (!to || to.destroyed || to.writableEnded) return;
    const written = new Promise<void>((resolve) => to.write(chunk, () => resolve()));
    writes.add(written);
    void written.then(() => writes.delete(written));
  };
  const stopOutput = target.tailer.onOutput({
    data: (stream, chunk) =>
      write(tty || stream === 'stdout' ? options.stdout : options.stderr, chunk),
    end: () => finish(),
  });

  const stdin = options.stdin && record.stdin ? await openStdin(dirs) : undefined;
  if (options.stdin && !stdin) options.stdin.resume(); // not the process's: dropped
  if (options.stdin && stdin) {
    const input = options.stdin;
    stdin.on('error', (err: NodeJS.ErrnoException) => {
      // EPIPE: the process closed its stdin or ended; its end finishes the session.
      if (err.code !== 'EPIPE') target.log.warn({ err, container: record.id }, 'attach: stdin');
      input.unpipe(stdin);
      input.resume();
    });
    input.pipe(stdin, { end: false });
    input.once('end', () => {
      stdin.end();
      if (stdinOnce) void closeStdin(dirs, target.log);
      else finish();
    });
    void finished.then(() => {
      input.unpipe(stdin);
      if (!stdin.destroyed) stdin.destroy();
      if (stdinOnce && !input.readableEnded) void closeStdin(dirs, target.log);
    });
  }

  const onAbort = () => finish();
  if (options.signal?.aborted) finish();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const resizer = new TerminalResizer({
    find: async () => (await containerTerminal(record.pid ?? 0))?.tty,
    running: target.running,
    stty: target.tools.stty,
  });
  return {
    tty,
    resize(columns, rows) {
      if (tty) resizer.resize(columns, rows);
    },
    done: finished.then(async () => {
      stopOutput();
      options.signal?.removeEventListener('abort', onAbort);
      await Promise.all(writes);
    }),
  };
}

const openFd = promisify(open);
const closeFd = promisify(close);
const writeFd = promisify(write);
/** Non-blocking: opening a FIFO that nobody reads fails (ENXIO) instead of hanging. */
const WRITE_FIFO = fsConstants.O_WRONLY | fsConstants.O_NONBLOCK;

/** A writer on the container's stdin FIFO, or undefined when stdin is closed for good. */
async function openStdin(dirs: ContainerDirs): Promise<net.Socket | undefined> {
  const closed = await access(fileIn(dirs, FILES.stdinClosed)).then(
    () => true,
    () => false,
  );
  if (closed) return undefined;
  try {
    const fd = await openFd(fileIn(dirs, FILES.stdin), WRITE_FIFO);
    // A pipe handle: writes wait for the reader on libuv's loop, not in its thread pool.
    return new net.Socket({ fd, readable: false, writable: true });
  } catch {
    return undefined; // ENXIO: the process no longer reads its stdin
  }
}

/** Closes the container's stdin for good: marks it, then releases the shim's holder. */
async function closeStdin(dirs: ContainerDirs, log: Logger): Promise<void> {
  try {
    await writeFile(fileIn(dirs, FILES.stdinClosed), '');
    const fd = await openFd(fileIn(dirs, FILES.stdinHold), WRITE_FIFO);
    try {
      await writeFd(fd, '\n'); // the line the holder waits for
    } finally {
      await closeFd(fd);
    }
  } catch (err) {
    // ENXIO: the shim is gone, and with it the holder.
    if ((err as NodeJS.ErrnoException).code !== 'ENXIO')
      log.warn({ err, dir: dirs.runDir }, 'attach: closing stdin');
  }
}
