import type { Duplex, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { RuntimeError, type ExecOptions, type ExecSession } from '../types.ts';
import { engineMessage, statusCode } from './engine.ts';
import { FrameDemuxer } from './streams.ts';

// `docker exec` over a hijacked connection: stdin is copied in and the write side is
// half-closed when it ends (so `cat` sees EOF); output is demultiplexed unless there is a
// TTY. The exit code comes from the exec's inspection once the engine ended the stream.

export async function startExec(
  docker: Docker,
  containerId: string,
  options: ExecOptions,
  log: Logger,
): Promise<ExecSession> {
  const { tty, signal } = options;
  let exec: Docker.Exec;
  try {
    exec = await docker.getContainer(containerId).exec({
      Cmd: options.command,
      AttachStdin: options.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: !tty,
      Tty: tty,
    });
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) throw new RuntimeError('NotFound', `container ${containerId} not found`);
    if (code === 409) throw new RuntimeError('NotRunning', engineMessage(err));
    throw new RuntimeError('Unavailable', `exec in ${containerId}: ${engineMessage(err)}`);
  }
  let socket: Duplex;
  try {
    socket = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: tty })) as Duplex;
  } catch (err) {
    const code = statusCode(err);
    if (code === 409 || code === 500) throw new RuntimeError('NotRunning', engineMessage(err));
    throw new RuntimeError('Unavailable', `exec in ${containerId}: ${engineMessage(err)}`);
  }

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
    if (tty) return write(options.stdout, chunk);
    for (const frame of demuxer.push(chunk)) {
      write(frame.stream === 'stderr' ? options.stderr : options.stdout, frame.data);
    }
  });

  if (options.stdin) {
    const stdin = options.stdin;
    stdin.pipe(socket, { end: false });
    stdin.once('end', () => socket.end());
    socket.once('close', () => stdin.unpipe(socket));
  } else {
    socket.end();
  }

  let finished = false;
  const ended = new Promise<void>((resolve) => {
    socket.once('close', () => (finished = true));
    socket.once('end', () => socket.end()); // the engine is done: finish our half too
    socket.once('close', resolve);
    socket.once('error', (err) => {
      if (!signal?.aborted) log.warn({ err, containerId }, 'exec stream failed');
      resolve();
    });
  });
  const onAbort = () => socket.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });

  const exitCode = (async () => {
    await ended;
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(writes);
    signal?.throwIfAborted();
    // The engine records the exit code before it closes the stream; retry briefly anyway.
    for (let attempt = 0; ; attempt++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      if (attempt >= 40) throw new RuntimeError('Unavailable', `exec ${exec.id} has no exit code`);
      await sleep(50);
    }
  })();
  // A caller that aborted may never await the code: its rejection must not go unhandled.
  exitCode.catch(() => {});

  return {
    resize(columns: number, rows: number) {
      if (!tty || finished) return;
      exec.resize({ w: columns, h: rows }).catch((err: unknown) => {
        // Racing the command's exit is expected; anything else is worth a line.
        if (finished || /not running|stopped/.test(engineMessage(err))) return;
        log.warn({ err, exec: exec.id }, 'resizing an exec TTY failed');
      });
    },
    exitCode,
  };
}
