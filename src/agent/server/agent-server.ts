import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../client/index.ts';
import type { PodRecord } from '../pods/pod-record.ts';
import type { RuntimeDriver } from '../runtime/types.ts';
import { acceptExecStream, acceptPortForward, StreamUpgradeError } from '../streams/index.ts';
import { serveAttach } from './attach.ts';
import { logTarget, LogRequestError, parseLogQuery, streamLogs } from './container-logs.ts';

// The agent's own HTTPS endpoint (the kubelet's :10250), which the API server proxies
// `kubectl logs`, `exec`, `attach` and `port-forward` to — so they work for pods on any
// node. Only the API server may call it: every request must carry the cluster's
// node-proxy token. Exec, attach and port-forward arrive as protocol upgrades and are
// answered by the streams library with whichever protocol (WebSocket or SPDY) the
// client's kubectl speaks.

export interface AgentServerOptions {
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string };
  token: string;
  runtime: RuntimeDriver;
  findPod(namespace: string, name: string): PodRecord | undefined;
  hostIP: string;
  log: Logger;
}

type Route = {
  kind: 'logs' | 'exec' | 'attach' | 'portForward';
  namespace: string;
  pod: string;
  container?: string;
};

function route(url: URL): Route | undefined {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [kind, namespace, pod, container] = parts;
  if (!namespace || !pod) return undefined;
  if (kind === 'containerLogs' && container && parts.length === 4)
    return { kind: 'logs', namespace, pod, container };
  if ((kind === 'exec' || kind === 'attach') && container && parts.length === 4)
    return { kind, namespace, pod, container };
  if (kind === 'portForward' && parts.length === 3) return { kind: 'portForward', namespace, pod };
  return undefined;
}

export class AgentServer {
  readonly #opts: AgentServerOptions;
  readonly #server: https.Server;
  readonly #token: Buffer;

  constructor(opts: AgentServerOptions) {
    this.#opts = opts;
    this.#token = Buffer.from(opts.token);
    this.#server = https.createServer(
      { cert: opts.tls.certPem, key: opts.tls.keyPem },
      (req, res) => {
        void this.#handle(req, res);
      },
    );
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket, head);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port, this.#opts.host, () => resolve());
    });
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    return given.length === this.#token.length && timingSafeEqual(given, this.#token);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    if (url.pathname === '/healthz') return void res.end('ok');
    if (!this.#authorized(req)) return fail(res, 401, 'Unauthorized');
    const r = route(url);
    if (!r || r.kind !== 'logs') return fail(res, 404, `no such agent endpoint ${url.pathname}`);
    const record = this.#opts.findPod(r.namespace, r.pod);
    if (!record) return fail(res, 404, `pod "${r.pod}" not found on this node`);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const query = parseLogQuery(r.container!, url.searchParams);
      const id = logTarget(record, query);
      await streamLogs(this.#opts.runtime, id, query, res, abort.signal);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      const code = err instanceof LogRequestError ? 400 : 500;
      if (code === 500) this.#opts.log.error({ err }, 'agent: serving logs failed');
      fail(res, code, err instanceof Error ? err.message : String(err));
    }
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://agent');
    const refuse = (code: number, message: string) => {
      socket.end(
        `HTTP/1.1 ${code} ${code === 401 ? 'Unauthorized' : 'Bad Request'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}`,
      );
    };
    if (!this.#authorized(req)) return refuse(401, 'Unauthorized');
    const r = route(url);
    const record = r && this.#opts.findPod(r.namespace, r.pod);
    if (!r || !record) return refuse(404, `pod not found on this node`);
    try {
      if (r.kind === 'portForward') return await this.#portForward(record, req, socket, head);
      if (r.kind === 'attach') {
        const deps = { runtime: this.#opts.runtime, log: this.#opts.log };
        return await serveAttach(deps, record, r.container!, req, socket, head);
      }
      await this.#exec(record, r.container!, url.searchParams, req, socket, head);
    } catch (err) {
      if (err instanceof StreamUpgradeError) return; // refused, and the client told why
      this.#opts.log.warn({ err }, 'agent: stream failed');
      socket.destroy();
    }
  }

  async #exec(
    record: PodRecord,
    container: string,
    q: URLSearchParams,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const flag = (n: string) => q.get(n) === 'true' || q.get(n) === '1';
    const tty = flag('tty');
    const session = await acceptExecStream(req, socket, head, {
      stdin: flag('stdin'),
      stdout: flag('stdout'),
      stderr: flag('stderr') && !tty,
      tty,
    });
    const current = record.containers.get(container)?.[0];
    if (!current || current.state !== 'running') {
      return session.end({ error: `container ${container} is not running` });
    }
    try {
      const exec = await this.#opts.runtime.exec(current.id, {
        command: q.getAll('command'),
        tty,
        ...(session.stdin ? { stdin: session.stdin } : {}),
        ...(session.stdout ? { stdout: session.stdout } : {}),
        ...(session.stderr ? { stderr: session.stderr } : {}),
        signal: session.closed,
      });
      session.onResize((size) => exec.resize(size.width, size.height));
      await session.end({ exitCode: await exec.exitCode });
    } catch (err) {
      await session.end({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  async #portForward(
    record: PodRecord,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const pod = record.pod;
    const ip =
      pod.spec?.hostNetwork || !record.sandbox?.ips.length ? '127.0.0.1' : record.sandbox.ips[0]!;
    await acceptPortForward(req, socket, head, (port, data, reportError) => {
      const upstream = net.connect({ host: ip, port });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
        reportError(
          `error forwarding port ${port} to pod ${pod.metadata?.name}, uid ${pod.metadata?.uid}: dial tcp ${ip}:${port}: ${reason}`,
        );
        data.destroy();
      });
      data.on('error', () => upstream.destroy());
      upstream.on('connect', () => {
        data.pipe(upstream);
        upstream.pipe(data);
      });
    });
  }
}

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain' });
  res.end(message);
}
