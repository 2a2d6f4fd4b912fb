import net from 'node:net';
import tls from 'node:tls';

// Whole-body HTTP/1.1 requests over a pool of keep-alive connections: what every API call
// but a stream is. Node's http client costs ~115 µs of CPU a request (ClientRequest,
// agent bookkeeping, IncomingMessage streams); writing the request in one piece and
// reading the answer with the small parser below costs ~30 µs. The scheduler sends two
// requests a pod and every component sends status updates (docs/architecture.md has the
// figures, undici's among them). Streams (watches, logs) stay on Node's http client.
//
// As Node's agent does: one request at a time per connection, a new connection when none
// is idle, idle ones unreferenced (they do not keep the process alive) and closed after
// the idle timeout or one second before the server's announced `Keep-Alive: timeout`.

export interface PoolTarget {
  /** A unix socket, instead of host and port. */
  socketPath?: string;
  host: string;
  port: number;
  /** TLS with this context (the CA to trust), else plain HTTP. */
  secureContext?: tls.SecureContext;
  /** The Host header. */
  hostHeader: string;
  idleTimeoutMs: number;
}

export interface WholeRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  signal?: AbortSignal;
  /** Bound on the whole exchange, from connect to last byte; 0 for none. */
  timeoutMs: number;
  /** For messages: `GET /api/v1/pods`. */
  describe: string;
}

export interface WholeResponse {
  status: number;
  body: Buffer;
}

/** How a failed request went: whether it was on a reused connection. */
export class RequestFailure extends Error {
  readonly reusedSocket: boolean;
  readonly code: string | undefined;
  constructor(cause: Error & { code?: string }, reusedSocket: boolean) {
    super(cause.message, { cause });
    this.name = cause.name;
    this.code = cause.code;
    this.reusedSocket = reusedSocket;
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

export class HttpPool {
  readonly #target: PoolTarget;
  readonly #idle: net.Socket[] = [];
  readonly #all = new Set<net.Socket>();
  #session: Buffer | undefined;

  constructor(target: PoolTarget) {
    this.#target = target;
  }

  request(req: WholeRequest): Promise<WholeResponse> {
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${this.#target.hostHeader}\r\n`;
    for (const [name, value] of Object.entries(req.headers)) {
      if (/[\r\n]/.test(value)) {
        return Promise.reject(new Error(`${req.describe}: header ${name} holds a line break`));
      }
      head += `${name}: ${value}\r\n`;
    }
    head += `Content-Length: ${req.body?.length ?? 0}\r\n\r\n`;
    const bytes = req.body ? Buffer.concat([Buffer.from(head, 'latin1'), req.body]) : head;

    // A socket destroyed while idle leaves the pool only at its 'close', a tick later.
    let reused = this.#idle.pop();
    while (reused && (reused.destroyed || !reused.writable)) reused = this.#idle.pop();
    const socket = reused ?? this.#connect();
    if (reused) {
      clearIdle(reused);
      reused.ref();
    }
    return new Promise<WholeResponse>((resolve, reject) => {
      const parser = new ResponseParser(req.method === 'HEAD');
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: (Error & { code?: string }) | undefined, res?: WholeResponse) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', onError);
        socket.off('close', onClose);
        req.signal?.removeEventListener('abort', onAbort);
        if (err) {
          socket.destroy();
          reject(new RequestFailure(err, reused !== undefined));
        } else {
          if (parser.keepAlive && !socket.destroyed) this.#release(socket, parser.keepAliveHintMs);
          else socket.destroy();
          resolve(res!);
        }
      };
      const onData = (chunk: Buffer) => {
        let res: WholeResponse | undefined;
        try {
          res = parser.push(chunk);
        } catch (err) {
          return finish(err as Error);
        }
        if (res) finish(undefined, res);
      };
      const onEnd = () => {
        const res = parser.end();
        if (res) finish(undefined, res);
        else finish(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      };
      const onError = (err: Error) => finish(err);
      const onClose = () => onEnd();
      const onAbort = () => {
        const err = new Error(`${req.describe}: the operation was aborted`);
        finish(Object.assign(err, { name: 'AbortError', code: 'ABORT_ERR' }));
      };
      if (req.signal?.aborted) return onAbort();
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.timeoutMs > 0) {
        timer = setTimeout(
          () => finish(new Error(`${req.describe}: no complete answer within ${req.timeoutMs} ms`)),
          req.timeoutMs,
        );
      }
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(bytes);
    });
  }

  /** Destroys every connection; requests in flight fail. */
  destroy(err: Error): void {
    for (const socket of this.#all) socket.destroy(err);
    this.#idle.length = 0;
  }

  #connect(): net.Socket {
    const t = this.#target;
    let socket: net.Socket;
    if (t.socketPath) socket = net.connect(t.socketPath);
    else if (t.secureContext) {
      const s = tls.connect({
        host: t.host,
        port: t.port,
        secureContext: t.secureContext,
        ...(net.isIP(t.host) ? {} : { servername: t.host }),
        ...(this.#session ? { session: this.#session } : {}),
      });
      s.on('session', (session: Buffer) => (this.#session = session));
      socket = s;
    } else socket = net.connect(t.port, t.host);
    socket.setNoDelay(true);
    this.#all.add(socket);
    socket.once('close', () => {
      this.#all.delete(socket);
      const i = this.#idle.indexOf(socket);
      if (i >= 0) this.#idle.splice(i, 1);
    });
    // An idle connection that errors (the server reset it) just leaves the pool.
    socket.on('error', () => undefined);
    return socket;
  }

  #release(socket: net.Socket, hintMs: number | undefined): void {
    let idleMs = this.#target.idleTimeoutMs;
    if (hintMs !== undefined && hintMs > 1000) idleMs = Math.min(idleMs, hintMs - 1000);
    const onEnd = () => socket.destroy(); // the server closed it while idle
    socket.once('end', onEnd);
    const timer = setTimeout(() => socket.destroy(), idleMs).unref();
    IDLE.set(socket, { timer, onEnd });
    socket.unref();
    this.#idle.push(socket);
  }
}

const IDLE = new WeakMap<net.Socket, { timer: NodeJS.Timeout; onEnd: () => void }>();

function clearIdle(socket: net.Socket): void {
  const idle = IDLE.get(socket);
  if (!idle) return;
  clearTimeout(idle.timer);
  socket.off('end', idle.onEnd);
  IDLE.delete(socket);
}

/** Where the parser is in the response. */
type ParseState =
  | { at: 'head' }
  | { at: 'length'; remaining: number }
  | { at: 'close' }
  | { at: 'chunk-size' }
  | { at: 'chunk-data'; remaining: number }
  | { at: 'chunk-end' }
  | { at: 'trailers' };

const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');
const MAX_HEAD_BYTES = 65536;

/**
 * An HTTP/1.1 response, fed in chunks: the status line and headers, then a body framed by
 * Content-Length, chunked transfer coding, or the connection's end. Body bytes are kept
 * as they come and joined once, so a list of many megabytes is not copied per chunk.
 */
export class ResponseParser {
  /** Bytes of a line not yet complete (head, chunk size, trailers). */
  #pending: Buffer = EMPTY;
  #state: ParseState = { at: 'head' };
  #status = 0;
  readonly #body: Buffer[] = [];
  readonly #noBody: boolean;
  keepAlive = true;
  keepAliveHintMs: number | undefined;

  constructor(noBody = false) {
    this.#noBody = noBody;
  }

  /** The response once it is complete. Throws on a malformed one. */
  push(chunk: Buffer): WholeResponse | undefined {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = EMPTY;
    for (;;) {
      const state = this.#state;
      switch (state.at) {
        case 'head': {
          const end = data.indexOf(CRLF2);
          if (end < 0) return this.#wait(data, MAX_HEAD_BYTES, 'response headers');
          this.#head(data.toString('latin1', 0, end));
          data = data.subarray(end + 4);
          continue;
        }
        case 'length': {
          data = this.#take(state, data);
          return state.remaining === 0 ? this.#done(data) : undefined;
        }
        case 'close':
          if (data.length > 0) this.#body.push(data);
          return undefined;
        case 'chunk-size': {
          const eol = data.indexOf(CRLF);
          if (eol < 0) return this.#wait(data, 1024, 'a chunk size line');
          const size = parseInt(data.toString('latin1', 0, eol).split(';')[0]!, 16);
          if (Number.isNaN(size) || size < 0) throw new Error('bad chunk size in response');
          data = data.subarray(eol + 2);
          this.#state = size === 0 ? { at: 'trailers' } : { at: 'chunk-data', remaining: size };
          continue;
        }
        case 'chunk-data':
          data = this.#take(state, data);
          if (state.remaining > 0) return undefined;
          this.#state = { at: 'chunk-end' };
          continue;
        case 'chunk-end':
          if (data.length < 2) return this.#wait(data, 2, '');
          if (data.readUInt16BE(0) !== 0x0d0a) {
            throw new Error('a chunk of the response is longer than its size says');
          }
          data = data.subarray(2);
          this.#state = { at: 'chunk-size' };
          continue;
        case 'trailers': {
          // An empty line ends the trailers, if there are any.
          if (data.length < 2) return this.#wait(data, 2, '');
          if (data.readUInt16BE(0) === 0x0d0a) return this.#done(data.subarray(2));
          const end = data.indexOf(CRLF2);
          if (end < 0) return this.#wait(data, MAX_HEAD_BYTES, 'response trailers');
          return this.#done(data.subarray(end + 4));
        }
      }
    }
  }

  /** At the connection's end: the response, when its body ran to the end. */
  end(): WholeResponse | undefined {
    if (this.#state.at !== 'close') return undefined;
    this.keepAlive = false;
    return { status: this.#status, body: Buffer.concat(this.#body) };
  }

  #wait(data: Buffer, limit: number, what: string): undefined {
    if (data.length > limit) throw new Error(`${what} over ${limit} bytes`);
    this.#pending = data;
    return undefined;
  }

  /** Moves up to `state.remaining` body bytes out of `data`; returns the rest. */
  #take(state: { remaining: number }, data: Buffer): Buffer {
    const n = Math.min(state.remaining, data.length);
    if (n > 0) this.#body.push(data.subarray(0, n));
    state.remaining -= n;
    return data.subarray(n);
  }

  #head(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return; // informational: the real answer follows
    this.#status = status;
    this.keepAlive = m[1] === '1';
    let length: number | undefined;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) throw new Error(`bad Content-Length ${JSON.stringify(value)}`);
        length = Number(value);
      } else if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
      else if (name === 'connection') {
        if (/\bclose\b/i.test(value)) this.keepAlive = false;
        else if (/\bkeep-alive\b/i.test(value)) this.keepAlive = true;
      } else if (name === 'keep-alive') {
        const hint = /timeout=(\d+)/i.exec(value);
        if (hint) this.keepAliveHintMs = Number(hint[1]) * 1000;
      }
    }
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = { at: 'length', remaining: 0 };
    } else if (chunked) this.#state = { at: 'chunk-size' };
    else if (length !== undefined) this.#state = { at: 'length', remaining: length };
    else {
      this.#state = { at: 'close' };
      this.keepAlive = false;
    }
  }

  #done(rest: Buffer): WholeResponse {
    // Bytes after the answer, on a connection that carries one request at a time: garbage.
    if (rest.length > 0) this.keepAlive = false;
    const body = this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body);
    return { status: this.#status, body };
  }
}
