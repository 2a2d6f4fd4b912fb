import type http from 'node:http';
import { Readable, Writable, type Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { encodeExecStatus } from './status.ts';
import { discardReadable, finishWritable } from './stream-ends.ts';
import { parseTerminalSize, ResizeEvents } from './terminal-size.ts';
import type { ExecResult, ExecStreamOptions, StreamSession, TerminalSize } from './types.ts';
import { negotiate, offeredWebSocketProtocols, rejectUpgrade } from './upgrade.ts';
import { acceptWebSocket, messageBytes } from './websocket.ts';

// exec/attach over WebSocket: every message starts with a channel byte — 0 stdin, 1 stdout,
// 2 stderr, 3 the final status, 4 resize. v5 adds 255 "close": `[255, 0]` means the client's
// stdin is done (without it, stdin could only end with the connection). The base64 variants
// send text messages: the channel as an ASCII digit, then the payload in base64. Protocols
// before v4 carry a failure's message on channel 3 instead of a Status. kubectl >= 1.30 only
// offers v5; the older ones serve other clients of the kubelet's protocol.

export const EXEC_WEBSOCKET_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

const Channel = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

export async function acceptWebSocketExec(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ExecStreamOptions,
): Promise<StreamSession> {
  const offered = offeredWebSocketProtocols(req);
  // A client that names no subprotocol gets the original one, as from the kubelet.
  const protocol =
    offered.length === 0 ? 'channel.k8s.io' : negotiate(offered, EXEC_WEBSOCKET_PROTOCOLS);
  if (!protocol) {
    const message = `unable to upgrade: none of the subprotocols [${offered.join(' ')}] is supported; supported: [${EXEC_WEBSOCKET_PROTOCOLS.join(' ')}]`;
    throw rejectUpgrade(socket, 400, 'BadRequest', message);
  }
  const ws = await acceptWebSocket(req, socket, head, offered.length === 0 ? undefined : protocol);
  return new WebSocketExecSession(ws, protocol, options);
}

class WebSocketExecSession implements StreamSession {
  readonly transport = 'websocket' as const;
  readonly tty: boolean;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly #ws: WebSocket;
  readonly #base64: boolean;
  readonly #structuredStatus: boolean;
  readonly #resizes = new ResizeEvents();
  readonly #closed = new AbortController();
  #ending: Promise<void> | undefined;

  constructor(
    ws: WebSocket,
    readonly protocol: string,
    options: ExecStreamOptions,
  ) {
    this.#ws = ws;
    this.tty = options.tty;
    this.#base64 = protocol.includes('base64');
    this.#structuredStatus = protocol.startsWith('v4.') || protocol.startsWith('v5.');
    if (options.stdin) {
      this.stdin = new Readable({
        read: () => {
          if (ws.isPaused) ws.resume();
        },
      });
    }
    if (options.stdout) this.stdout = this.#channelWriter(Channel.stdout);
    if (options.stderr && !options.tty) this.stderr = this.#channelWriter(Channel.stderr);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) =>
      this.#receive(messageBytes(data), isBinary),
    );
    ws.once('close', () => {
      this.#endStdin();
      this.#closed.abort();
    });
    ws.on('error', () => {}); // a broken connection shows as 'close'
    // The kubelet sends an empty message on the lowest channel it writes, which tells
    // older clients the streams are ready. Not on v5: kubectl may not have set up that
    // channel yet, and logs "Unknown stream id" to the user's stderr.
    if (!protocol.startsWith('v5.')) {
      const first = this.stdout ? Channel.stdout : this.stderr ? Channel.stderr : Channel.status;
      this.#send(first, Buffer.alloc(0));
    }
  }

  get closed(): AbortSignal {
    return this.#closed.signal;
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
    const status = encodeExecStatus(result, this.#structuredStatus);
    if (status.length > 0) this.#send(Channel.status, status);
    if (this.#ws.readyState === this.#ws.CLOSED) return;
    // `ws` waits for the client's close frame (kubectl answers at once), at most 30 s.
    const closed = new Promise<void>((resolve) => this.#ws.once('close', () => resolve()));
    this.#ws.close(1000);
    await closed;
  }

  #receive(bytes: Buffer, isBinary: boolean): void {
    let channel: number;
    let payload: Buffer;
    if (this.#base64 && !isBinary) {
      const text = bytes.toString('latin1');
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      channel = bytes[0] ?? -1;
      payload = bytes.subarray(1);
    }
    if (channel === Channel.stdin && this.stdin && !this.stdin.readableEnded) {
      if (payload.length > 0 && !this.stdin.push(payload)) this.#ws.pause();
    } else if (channel === Channel.resize && this.tty) {
      const size = parseTerminalSize(payload.toString('utf8'));
      if (size) this.#resizes.emit(size);
    } else if (channel === Channel.close && payload[0] === Channel.stdin) {
      this.#endStdin();
    }
  }

  #endStdin(): void {
    if (this.stdin && !this.stdin.readableEnded && !this.stdin.destroyed) this.stdin.push(null);
  }

  #send(channel: number, payload: Buffer, callback?: () => void): void {
    if (this.#ws.readyState !== this.#ws.OPEN) {
      callback?.();
      return;
    }
    const done = () => callback?.();
    if (this.#base64) {
      this.#ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'), done);
    } else {
      this.#ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true }, done);
    }
  }

  #channelWriter(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => this.#send(channel, chunk, () => callback()),
    });
  }
}
