import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { RuntimeError, type LogLine, type LogOptions } from '../types.ts';
import { engineMessage, statusCode } from './engine.ts';
import { FrameDemuxer, LogLineAssembler } from './streams.ts';

// `GET /containers/{id}/logs` as LogLines. Timestamps are always requested (and stripped
// from the data); the engine's `since` counts whole seconds on some engines, so it only
// narrows the read and the exact cut is made here. A follow ends when the engine ends the
// response (the container exited) or when `signal` aborts, which is not an error.

export async function* containerLogs(
  docker: Docker,
  id: string,
  tty: boolean,
  options: LogOptions,
): AsyncGenerator<LogLine> {
  const { signal, since } = options;
  if (signal?.aborted) return;
  const response = await openLogs(docker, id, {
    stdout: true,
    stderr: true,
    timestamps: true,
    follow: options.follow,
    ...(options.tail !== undefined ? { tail: Math.max(0, Math.floor(options.tail)) } : {}),
    ...(since ? { since: Math.floor(since.getTime() / 1000) } : {}),
  });
  const onAbort = () => response.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  const assembler = new LogLineAssembler();
  const demuxer = new FrameDemuxer();
  const wanted = (line: LogLine) => !since || line.time.getTime() >= since.getTime();
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const lines = tty
        ? assembler.raw(chunk)
        : demuxer.push(chunk).flatMap((frame) => assembler.entry(frame.stream, frame.data));
      for (const line of lines) if (wanted(line)) yield line;
    }
    for (const line of assembler.flush()) if (wanted(line)) yield line;
  } catch (err) {
    if (signal?.aborted) return;
    throw new RuntimeError('Unavailable', `reading logs of ${id}: ${engineMessage(err)}`, {
      cause: err,
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    response.destroy();
  }
}

function openLogs(docker: Docker, id: string, query: object): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        options: query,
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err, stream) => {
        if (!err) return resolve(stream as IncomingMessage);
        if (statusCode(err) === 404) {
          return reject(new RuntimeError('NotFound', `container ${id} not found`, { cause: err }));
        }
        reject(
          new RuntimeError('Unavailable', `reading logs of ${id}: ${engineMessage(err)}`, {
            cause: err,
          }),
        );
      },
    );
  });
}
