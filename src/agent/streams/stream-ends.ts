import type { Readable, Writable } from 'node:stream';

// Ending the standard streams of a session whatever state the caller left them in: already
// ended by a pipe, destroyed, or still open.

/** Ends `stream` and resolves once its data is flushed, or at once if it is gone already. */
export function finishWritable(stream: Writable | undefined): Promise<void> {
  if (!stream || stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.end();
  });
}

/** Ends a readable nobody will consume any more, dropping what the client still sends. */
export function discardReadable(stream: Readable | undefined): void {
  if (!stream || stream.destroyed) return;
  stream.removeAllListeners('data');
  stream.unpipe();
  stream.resume();
}
