import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../client/index.ts';
import type { PodRecord } from '../pods/pod-record.ts';
import { isRuntimeError, type RuntimeDriver } from '../runtime/types.ts';
import { acceptExecStream, parseExecQuery, rejectUpgrade } from '../streams/index.ts';

// `kubectl attach` (and `run -it`): the streams of a running container's main process, as
// the kubelet serves them. The container's spec decides what can be attached: stdin only
// with `stdin: true`, a terminal only with `tty: true` — a container that runs on a TTY is
// attached as one even when the client did not ask (kubectl forces -t for those). The
// attach ends when the container exits, when the client detaches, or when the client's
// stdin ends (see the runtime's AttachOptions); it never stops the container, and always
// ends with Success: attach reports no exit code.

export interface AttachDeps {
  runtime: RuntimeDriver;
  log: Logger;
}

export async function serveAttach(
  deps: AttachDeps,
  record: PodRecord,
  container: string,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const query = parseExecQuery(req.url ?? '/');
  const spec = [
    ...(record.pod.spec?.containers ?? []),
    ...(record.pod.spec?.initContainers ?? []),
    ...(record.pod.spec?.ephemeralContainers ?? []),
  ].find((c) => c.name === container);
  const pod = record.pod.metadata?.name;
  const refuse = (message: string) => {
    throw rejectUpgrade(socket, 400, 'BadRequest', message);
  };
  if (!spec) refuse(`container ${container} is not valid for pod ${pod}`);
  if (query.stdin && !spec!.stdin) {
    refuse(
      `Unable to use stdin - container ${container} did not allocate one (it needs stdin: true)`,
    );
  }
  if (query.tty && !spec!.tty) {
    refuse(`Unable to use a TTY - container ${container} did not allocate one`);
  }
  const current = record.containers.get(container)?.[0];
  if (!current || current.state !== 'running') {
    refuse(`container ${container} is not running`);
  }

  const session = await acceptExecStream(req, socket, head, {
    stdin: query.stdin,
    stdout: query.stdout,
    stderr: query.stderr && !query.tty,
    tty: query.tty,
  });
  try {
    const attached = await deps.runtime.attach(current!.id, {
      ...(session.stdin ? { stdin: session.stdin } : {}),
      ...(session.stdout ? { stdout: session.stdout } : {}),
      ...(session.stderr ? { stderr: session.stderr } : {}),
      signal: session.closed,
    });
    session.onResize((size) => attached.resize(size.width, size.height));
    await attached.done;
    await session.end({ exitCode: 0 });
  } catch (err) {
    // A runtime's own errors (it stopped meanwhile) are the client's to read; others are ours.
    if (!isRuntimeError(err)) deps.log.warn({ err, pod, container }, 'agent: attach failed');
    await session.end({ error: err instanceof Error ? err.message : String(err) });
  }
}
