import type http from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { SpdyConnection } from './spdy/connection.ts';
import { RstStatus } from './spdy/frames.ts';
import type { SpdyStream } from './spdy/stream.ts';
import { encodeExecStatus } from './status.ts';
import { discardReadable, finishWritable } from './stream-ends.ts';
import { ResizeEvents, TerminalSizeDecoder } from './terminal-size.ts';
import type { ExecResult, ExecStreamOptions, StreamSession, TerminalSize } from './types.ts';
import { acceptSpdyUpgrade } from './upgrade.ts';

// exec/attach over SPDY/3.1 (kubectl <= 1.29, and newer kubectl when WebSockets fail). After
// the upgrade the client opens one stream per standard stream, named by its `streamtype`
// header: error, stdin, stdout, stderr, and resize (TTY, v3 and later). The session starts
// once all the streams the request asked for exist. The final status goes on the error
// stream: a metav1.Status from v4 on, a bare failure message before. v5 over SPDY is v4.

export const EXEC_SPDY_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
] as const;

const STREAM_TYPES = new Set(['error', 'stdin', 'stdout', 'stderr', 'resize']);
/** The kubelet's default for how long the client may take to open its streams. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export function acceptSpdyExec(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ExecStreamOptions,
): Promise<StreamSession> {
  const protocol = acceptSpdyUpgrade(req, socket, EXEC_SPDY_PROTOCOLS);
  if (head.length > 0) socket.unshift(head);
  const expected = new Set(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr && !options.tty) expected.add('stderr');
  if (options.tty && protocol !== 'v2.channel.k8s.io') expected.add('resize');

  return new Promise((resolve, reject) => {
    const streams = new Map<string, SpdyStream>();
    const connection = new SpdyConnection(socket, {
      onStream: (stream) => {
        const type = stream.header('streamtype') ?? '';
        if (!STREAM_TYPES.has(type) || streams.has(type)) {
          stream.reset(RstStatus.protocolError);
          return;
        }
        streams.set(type, stream);
        if ([...expected].every((t) => streams.has(t))) {
          clearTimeout(timer);
          resolve(new SpdyExecSession(connection, protocol, options.tty, streams));
        }
      },
    });
    const timer = setTimeout(() => {
      connection.destroy(new Error('timed out waiting for client to create streams'));
    }, STREAM_CREATION_TIMEOUT_MS);
    connection.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      const why = (connection.signal.reason as Error | undefined)?.message ?? 'client disconnected';
      reject(new Error(`exec streams not established: ${why}`));
    });
  });
}

class SpdyExecSession implements StreamSession {
  readonly transport = 'spdy' as const;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly #connection: SpdyConnection;
  readonly #errorStream: SpdyStream;
  readonly #resizes = new ResizeEvents();
  #ending: Promise<void> | undefined;

  constructor(
    connection: SpdyConnection,
    readonly protocol: string,
    readonly tty: boolean,
    streams: Map<string, SpdyStream>,
  ) {
    this.#connection = connection;
    this.#errorStream = streams.get('error')!;
    this.stdin = streams.get('stdin');
    this.stdout = streams.get('stdout');
    if (!tty) this.stderr = streams.get('stderr');
    // The client writes nothing on these; reading lets their halves end.
    for (const type of ['error', 'stdout', 'stderr']) streams.get(type)?.resume();
    const resize = streams.get('resize');
    if (resize && tty) {
      const decoder = new TerminalSizeDecoder();
      resize.on('data', (chunk: Buffer) => {
        for (const size of decoder.push(chunk)) this.#resizes.emit(size);
      });
    } else {
      resize?.resume();
    }
  }

  get closed(): AbortSignal {
    return this.#connection.signal;
  }

  onResize(listener: (size: TerminalSize) => void): () => void {
    return this.#resizes.listen(listener);
  }

  end(result: ExecResult): Promise<void> {
    this.#ending ??= this.#end(result);
    return this.#ending;
  }

  async #end(result: ExecResult): Promise<void> {
    await Promise.all([finishWritable(this.stdout), finishWritable(this.stderr)]);
    discardReadable(this.stdin);
    const structured =
      this.protocol === 'v4.channel.k8s.io' || this.protocol === 'v5.channel.k8s.io';
    const status = encodeExecStatus(result, structured);
    if (status.length > 0) this.#errorStream.write(status);
    await finishWritable(this.#errorStream);
    await this.#connection.close();
  }
}
