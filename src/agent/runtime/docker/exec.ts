import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { RuntimeError, type ExecOptions, type ExecSession } from '../types.ts';
import { engineMessage, statusCode } from './engine.ts';
import { serialResizer, spliceHijacked } from './hijack.ts';

// `docker exec` over a hijacked connection (see hijack.ts). The exit code comes from the
// exec's inspection once the engine ended the stream.

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

  const splice = spliceHijacked(socket, options, log, `exec in ${containerId}`);

  const exitCode = (async () => {
    await splice.ended;
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

  const resize = serialResizer((columns, rows) =>
    exec.resize({ w: columns, h: rows }).catch((err: unknown) => {
      // Racing the command's exit is expected; anything else is worth a line.
      if (splice.closed || /not running|stopped/.test(engineMessage(err))) return;
      log.warn({ err, exec: exec.id }, 'resizing an exec TTY failed');
    }),
  );
  return {
    resize(columns: number, rows: number) {
      if (tty && !splice.closed) resize(columns, rows);
    },
    exitCode,
  };
}
