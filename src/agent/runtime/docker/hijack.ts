import type { Duplex, Readable, Writable } from 'node:stream';
import type { Logger } from '../../../client/index.ts';
import { FrameDemuxer } from './streams.ts';

// The engine's hijacked connections (exec and attach): after the upgrade the socket carries
// stdin one way and the output the other, multiplexed in frames unless there is a TTY.
// The client's stdin is copied in; when it ends our write half is closed, which is how the
// engine learns of the EOF (exec: `cat` ends; attach: the engine detaches, or closes the
// container's stdin with StdinOnce).

export interface HijackedStreams {
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  /** Unused with a TTY: the engine sends the terminal's output as one raw stream. */
  stderr?: Writable;
  /** Destroys the connection. */
  signal?: AbortSignal;
}

export interface Splice {
  /** Resolves once the engine ended the stream and every output write was flushed. */
  ended: Promise<void>;
  /** Whether the connection is gone (resizes after that only race the end). */
  readonly closed: boolean;
}

/** Connects `socket` to the caller's streams until either side ends it. */
export function spliceHijacked(
  socket: Duplex,
  streams: HijackedStreams,
  log: Logger,
  what: string,
): Splice {
  const { tty, signal } = streams;
  const writes = new Set<Promise<void>>();
  const write = (target: Writable | undefined, data: Buffer) => {
    if (!target || target.destroyed) return;
    const done = new Promise<void>((resolve) => {
      const ok = target.write(data, () => resolve());
      if (!ok) {
        socket.pause();
        target.once('drain', () => socket.resume());
      }
    });
    writes.add(done);
    void done.then(() => writes.delete(done));
  };
  const demuxer = new FrameDemuxer();
  socket.on('data', (chunk: Buffer) => {
    if (tty) return write(streams.stdout, chunk);
    for (const frame of demuxer.push(chunk)) {
      write(frame.stream === 'stderr' ? streams.stderr : streams.stdout, frame.data);
    }
  });

  if (streams.stdin) {
    const stdin = streams.stdin;
    stdin.pipe(socket, { end: false });
    stdin.once('end', () => socket.end());
    socket.once('close', () => stdin.unpipe(socket));
  } else {
    socket.end();
  }

  const state = { closed: false };
  const ended = new Promise<void>((resolve) => {
    socket.once('close', () => (state.closed = true));
    socket.once('end', () => socket.end()); // the engine is done: finish our half too
    socket.once('close', resolve);
    socket.once('error', (err) => {
      if (!signal?.aborted) log.warn({ err }, `${what}: stream failed`);
      resolve();
    });
  });
  const onAbort = () => socket.destroy();
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  return {
    ended: ended.then(async () => {
      signal?.removeEventListener('abort', onAbort);
      await Promise.all(writes);
    }),
    get closed() {
      return state.closed;
    },
  };
}

/**
 * Resizes one at a time, newest size last: kubectl sends two sizes at once when it
 * attaches (one cell larger, then the real one, to force a redraw), and two concurrent
 * requests to the engine may be applied in either order.
 */
export function serialResizer(
  apply: (columns: number, rows: number) => Promise<void>,
): (columns: number, rows: number) => void {
  let next: { columns: number; rows: number } | undefined;
  let busy = false;
  const drain = async () => {
    busy = true;
    while (next) {
      const { columns, rows } = next;
      next = undefined;
      await apply(columns, rows);
    }
    busy = false;
  };
  return (columns, rows) => {
    next = { columns, rows };
    if (!busy) void drain();
  };
}
