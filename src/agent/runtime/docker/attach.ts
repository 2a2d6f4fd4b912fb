import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { RuntimeError, type AttachOptions, type AttachSession } from '../types.ts';
import { engineMessage, statusCode } from './engine.ts';
import { serialResizer, spliceHijacked } from './hijack.ts';

// `POST /containers/{id}/attach?stream=1` over a hijacked connection: the output from now
// on (no `logs=1`: history is what `kubectl logs` is for). The engine implements the
// rest of the semantics kubelet relies on: stdin reaches the process only with OpenStdin,
// and our half-close of stdin either detaches or, with StdinOnce and no TTY, closes the
// container's stdin while the output goes on until the exit.

export async function attachContainer(
  docker: Docker,
  info: { id: string; tty: boolean; openStdin: boolean },
  options: AttachOptions,
  log: Logger,
): Promise<AttachSession> {
  const { id, tty } = info;
  const stdin = info.openStdin ? options.stdin : undefined;
  const container = docker.getContainer(id);
  let socket: Duplex;
  try {
    socket = (await container.attach({
      stream: true,
      stdin: stdin !== undefined,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as Duplex;
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (code === 409) throw new RuntimeError('NotRunning', engineMessage(err));
    throw new RuntimeError('Unavailable', `attaching to ${id}: ${engineMessage(err)}`);
  }
  if (stdin === undefined) options.stdin?.resume(); // nobody reads it: let it drain
  const splice = spliceHijacked(
    socket,
    { tty, stdin, stdout: options.stdout, stderr: options.stderr, signal: options.signal },
    log,
    `attach to ${id}`,
  );
  const resize = serialResizer((columns, rows) =>
    container.resize({ w: columns, h: rows }).catch((err: unknown) => {
      if (splice.closed || /not running|stopped/.test(engineMessage(err))) return;
      log.warn({ err, container: id }, 'resizing a container TTY failed');
    }),
  );
  return {
    tty,
    resize(columns: number, rows: number) {
      if (tty && !splice.closed) resize(columns, rows);
    },
    done: splice.ended,
  };
}
