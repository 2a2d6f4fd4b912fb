import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { ApiError } from './api-error.ts';
import { HttpPool, RequestFailure } from './http-pool.ts';

// HTTPS plumbing under RestClient: keep-alive connection pools (http-pool.ts for whole
// bodies, Node's agent for streams), bearer-token headers, requests and streamed responses.
//
// A request that fails on a pooled connection is sent once more on a fresh one only when
// doing so cannot repeat its effect, as Go's net/http decides (persistConn.
// shouldRetryRequest): nothing of it reached the connection, or its method is safe to
// repeat. A POST whose bytes were written may have been acted on even though no answer
// came back; sending it again created every Event twice ("already exists").
//
// A pooled connection left idle is closed after `idleTimeoutMs` (Go's http.Transport
// IdleConnTimeout, 90 s in client-go's default transport), or sooner when the server's
// Keep-Alive header announces a shorter timeout: a client that went quiet holds no
// sockets open on the API server. Whole-body requests go through http-pool.ts, which
// times idle connections itself; streams through Node's agent, whose socket `timeout`
// applies only to free sockets, so a quiet watch in flight is not cut by it.

export interface TransportOptions {
  server: string;
  token: string;
  caPem: string;
  userAgent: string;
  /** Bound on a whole non-streaming request, from connect to last byte. */
  timeoutMs: number;
  /** Talk plain HTTP over this unix socket instead (see RestClientOptions.socketPath). */
  socketPath?: string;
  /** How long a pooled connection may stay idle before it is closed. Default 90 s. */
  idleTimeoutMs?: number;
}

/** Go's IdleConnTimeout in client-go's default transport. */
export const IDLE_CONN_TIMEOUT_MS = 90_000;

export interface RequestSpec {
  method: string;
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export class Transport {
  readonly #base: URL;
  readonly #agent: http.Agent;
  /** Whole-body requests; the agent carries streams. */
  readonly #pool: HttpPool;
  readonly #opts: TransportOptions;
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#base = new URL(opts.server);
    const idleTimeoutMs = opts.idleTimeoutMs ?? IDLE_CONN_TIMEOUT_MS;
    const pool = { keepAlive: true, timeout: idleTimeoutMs };
    const plain = this.#base.protocol === 'http:' || !!opts.socketPath;
    // One TLS context for every connection: given only `ca`, each new connection would
    // parse the CA into a context of its own.
    const secureContext = plain ? undefined : tls.createSecureContext({ ca: opts.caPem });
    this.#agent = secureContext
      ? new https.Agent({ ...pool, secureContext })
      : new http.Agent(pool);
    const defaultPort = this.#base.protocol === 'https:' ? 443 : 80;
    this.#pool = new HttpPool({
      ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
      host: this.#base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(this.#base.port) || defaultPort,
      ...(secureContext ? { secureContext } : {}),
      hostHeader: opts.socketPath ? 'localhost' : this.#base.host,
      idleTimeoutMs,
    });
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws ApiError. */
  async json<R>(spec: RequestSpec): Promise<R> {
    let res;
    try {
      res = await this.#whole(spec);
    } catch (err) {
      if (!RESENDABLE.has(err as Error)) throw err;
      res = await this.#whole(spec);
    }
    const text = res.body.toString('utf8');
    const code = res.status;
    if (code < 200 || code > 299) throw ApiError.fromResponse(code, text, describe(spec));
    return (text ? JSON.parse(text) : undefined) as R;
  }

  /** Opens a streaming GET: resolves with the response once a 2xx status arrives. */
  async stream(spec: RequestSpec): Promise<http.IncomingMessage> {
    const res = await this.#openRetrying(spec, 0);
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) {
      throw ApiError.fromResponse(code, await readText(res), describe(spec));
    }
    return res;
  }

  /**
   * Closes the pooled connections. Requests in flight are cut and reject with an
   * AbortError; they are not sent again, whatever their method.
   */
  close(): void {
    this.#closed = true;
    this.#agent.destroy();
    this.#pool.destroy(new Error('the client was closed'));
  }

  #url(spec: RequestSpec): URL {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + spec.path, this.#base);
    if (spec.query) url.search = spec.query.toString();
    return url;
  }

  async #whole(spec: RequestSpec) {
    const url = this.#url(spec);
    try {
      return await this.#pool.request({
        method: spec.method,
        path: url.pathname + url.search,
        headers: this.#headers(spec),
        ...(spec.body !== undefined ? { body: Buffer.from(JSON.stringify(spec.body)) } : {}),
        ...(spec.signal ? { signal: spec.signal } : {}),
        timeoutMs: this.#opts.timeoutMs,
        describe: describe(spec),
      });
    } catch (err) {
      if (!(err instanceof RequestFailure)) throw err;
      const cause = err.cause as Error;
      if (this.#closed) throw cutByClose(spec, cause);
      // Every byte of the request is handed to the connection at once.
      const loss = { method: spec.method, reusedSocket: err.reusedSocket, wroteBytes: true };
      if (mayResend({ ...loss, ...(err.code ? { code: err.code } : {}) })) RESENDABLE.add(cause);
      throw cause;
    }
  }

  #headers(spec: RequestSpec): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.#opts.userAgent,
    };
    if (this.#opts.token) headers.Authorization = `Bearer ${this.#opts.token}`;
    if (spec.body !== undefined) headers['Content-Type'] = spec.contentType ?? 'application/json';
    return headers;
  }

  async #openRetrying(spec: RequestSpec, timeoutMs: number): Promise<http.IncomingMessage> {
    try {
      return await this.#open(spec, timeoutMs);
    } catch (err) {
      if (RESENDABLE.has(err as Error)) return this.#open(spec, timeoutMs);
      throw err;
    }
  }

  #open(spec: RequestSpec, timeoutMs: number): Promise<http.IncomingMessage> {
    const url = this.#url(spec);
    const headers = this.#headers(spec);
    let payload: Buffer | undefined;
    if (spec.body !== undefined) {
      payload = Buffer.from(JSON.stringify(spec.body));
      headers['Content-Length'] = String(payload.length);
    }
    const socketPath = this.#opts.socketPath;
    const mod = url.protocol === 'http:' || socketPath ? http : https;
    return new Promise((resolve, reject) => {
      const req = socketPath
        ? http.request({
            socketPath,
            path: url.pathname + url.search,
            method: spec.method,
            headers,
            agent: this.#agent,
            signal: spec.signal,
          })
        : mod.request(url, {
            method: spec.method,
            headers,
            agent: this.#agent,
            signal: spec.signal,
          });
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          req.destroy(new Error(`${describe(spec)}: no complete answer within ${timeoutMs} ms`));
        }, timeoutMs);
        req.once('close', () => clearTimeout(timer));
      }
      // The socket's count before this request's first byte: the request is handed to its
      // socket after the 'socket' event, so a larger count at failure means bytes of this
      // request went out (or are queued to) and the server may have read them.
      let socket: net.Socket | undefined;
      let bytesBefore = 0;
      req.once('socket', (s) => {
        socket = s;
        bytesBefore = s.bytesWritten ?? 0;
      });
      req.once('response', resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (this.#closed) return reject(cutByClose(spec, err));
        const loss: ConnectionLoss = {
          method: spec.method,
          reusedSocket: req.reusedSocket,
          wroteBytes: socket !== undefined && (socket.bytesWritten ?? Infinity) > bytesBefore,
          code: err.code,
        };
        if (mayResend(loss)) RESENDABLE.add(err);
        reject(err);
      });
      req.end(payload);
    });
  }
}

/** The socket went away before an answer began. */
const CONNECTION_LOST_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Methods whose repetition has no further effect, as Go's Request.isReplayable lists them. */
const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** How a request lost its connection before any answer arrived. */
export interface ConnectionLoss {
  method: string;
  /** The connection came from the pool, having served earlier requests. */
  reusedSocket: boolean;
  /** Some of this request's bytes were handed to the connection. */
  wroteBytes: boolean;
  code?: string;
}

/**
 * Whether a request that lost its connection may be sent once more on a fresh one. A fresh
 * connection that fails tells something about the server, not about a stale pool, so
 * only a reused one qualifies; then a request none of whose bytes went out may always go
 * again, and one that did only when repeating it is harmless.
 */
export function mayResend(loss: ConnectionLoss): boolean {
  if (!loss.reusedSocket || !CONNECTION_LOST_CODES.has(loss.code ?? '')) return false;
  if (!loss.wroteBytes) return true;
  return REPLAYABLE_METHODS.has(loss.method.toUpperCase());
}

/** Failures of a first attempt that mayResend allows to go once more. */
const RESENDABLE = new WeakSet<Error>();

/** Cancellation by close() is not a network failure: an AbortError, as for an aborted signal. */
function cutByClose(spec: RequestSpec, cause: Error): Error {
  const err = new Error(`${describe(spec)}: the client was closed`, { cause });
  err.name = 'AbortError';
  return Object.assign(err, { code: 'ABORT_ERR' });
}

function describe(spec: RequestSpec): string {
  return `${spec.method} ${spec.path}`;
}

async function readText(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Splits a byte stream into newline-delimited JSON values. Chunks may end anywhere: in
 * the middle of a line or of a multi-byte character.
 */
export async function* ndjson(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', start)) {
      const line = pending.slice(start, nl).trim();
      start = nl + 1;
      if (line) yield JSON.parse(line);
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending.trim()) yield JSON.parse(pending);
}
