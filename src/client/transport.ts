import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { ApiError } from './api-error.ts';

// HTTPS plumbing under RestClient: one keep-alive agent per client (the connection pool),
// bearer-token headers, whole-body requests and streamed responses.

export interface TransportOptions {
  server: string;
  token: string;
  caPem: string;
  userAgent: string;
  /** Bound on a whole non-streaming request, from connect to last byte. */
  timeoutMs: number;
}

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
  readonly #opts: TransportOptions;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#base = new URL(opts.server);
    this.#agent =
      this.#base.protocol === 'http:'
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({ keepAlive: true, ca: opts.caPem });
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws ApiError. */
  async json<R>(spec: RequestSpec): Promise<R> {
    const res = await this.#openRetrying(spec, this.#opts.timeoutMs);
    const text = await readText(res);
    const code = res.statusCode ?? 0;
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

  /** Closes the pooled connections; requests in flight are cut. */
  close(): void {
    this.#agent.destroy();
  }

  async #openRetrying(spec: RequestSpec, timeoutMs: number): Promise<http.IncomingMessage> {
    try {
      return await this.#open(spec, timeoutMs);
    } catch (err) {
      // A pooled connection the server closed while idle fails on first use; the request
      // never reached the server, so it is safe to send once more on a fresh one.
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.#open(spec, timeoutMs);
      throw err;
    }
  }

  #open(spec: RequestSpec, timeoutMs: number): Promise<http.IncomingMessage> {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + spec.path, this.#base);
    if (spec.query) url.search = spec.query.toString();
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.#opts.userAgent,
    };
    if (this.#opts.token) headers.Authorization = `Bearer ${this.#opts.token}`;
    let payload: Buffer | undefined;
    if (spec.body !== undefined) {
      payload = Buffer.from(JSON.stringify(spec.body));
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
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
      req.once('response', resolve);
      req.on('error', (err) => {
        clearTimeout(timer);
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          Object.assign(err, { reusedSocket: true });
        }
        reject(err);
      });
      req.end(payload);
    });
  }
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
