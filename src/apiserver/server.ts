import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { ResourceRegistry, ResourceType } from '../api/index.ts';
import type { Backend } from '../store/index.ts';
import type { TokenAuthenticator } from './auth.ts';
import { StatusError } from './errors.ts';
import { sendStatus } from './http/respond.ts';
import { ApiMetrics } from './metrics.ts';
import { NodeProxy, refuseUpgrade } from './node-proxy.ts';
import { handleNonResource } from './non-resource.ts';
import { OpenApiDocuments } from './openapi.ts';
import type { ServingCertificates } from './pki.ts';
import { parseRequestPath } from './request-info.ts';
import { handleResourceRequest } from './resource-handler.ts';
import type { Admission } from './storage/admission.ts';
import { ResourceStore } from './storage/resource-store.ts';
import { WatchCache } from './storage/watch-cache.ts';
import { ServiceAccountTokens, type SigningKey } from './serviceaccount/index.ts';
import type { WriteHooks } from './storage/write-hooks.ts';
import { NODE_PORT_RANGE } from '../api/validation/service-ips.ts';
import {
  AllocationRepair,
  KubernetesService,
  parseServiceCIDR,
  serviceWriteHooks,
  ServiceAllocations,
} from './services/index.ts';

// The HTTPS API server: authentication, then routing to discovery, OpenAPI, health and
// the resource handlers. Any error that is not a StatusError is a bug: it is answered with
// 500 and logged as one; no request can stop the server.

export interface ApiServerOptions {
  store: Backend;
  registry: ResourceRegistry;
  admission: Admission;
  tokens: TokenAuthenticator;
  /** Signs the service-account tokens this server issues (TokenRequest). */
  serviceAccountKey: SigningKey;
  tls: ServingCertificates;
  host?: string;
  port?: number;
  /** The token node agents accept when logs, exec and port-forward are proxied to them. */
  nodeProxyToken?: string;
  /** `--service-cluster-ip-range` (default 10.96.0.0/12). */
  serviceCIDR?: string;
  /** The address pods reach this server at (the `kubernetes` service endpoints). */
  advertiseAddress?: string;
  /**
   * Also serve plain HTTP on this unix socket, for the components of this very process
   * (controllers, scheduler, local agent). Same handler, authentication and rules as the
   * HTTPS port; what it saves is TLS and TCP on every request and watch event. The socket
   * is made readable by its owner only.
   */
  localSocketPath?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string, err?: unknown) => void;
}

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export class ApiServer {
  readonly opts: ApiServerOptions;
  readonly cache: WatchCache;
  readonly metrics = new ApiMetrics();
  readonly #stores = new Map<ResourceType, ResourceStore>();
  readonly #openapi: OpenApiDocuments;
  readonly #server: https.Server;
  #local: http.Server | undefined;
  readonly #nodeProxy: NodeProxy;
  readonly serviceAllocations: ServiceAllocations;
  readonly #serviceHooks: WriteHooks;
  readonly #repair: AllocationRepair;
  #kubernetesService: KubernetesService | undefined;
  #ready = false;
  #url = '';
  readonly #serviceAccountTokens: ServiceAccountTokens;

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.cache = new WatchCache(opts.store, (err) =>
      this.#log('error', 'watch cache lost its store watch', err),
    );
    this.#openapi = new OpenApiDocuments(opts.registry);
    this.#serviceAccountTokens = new ServiceAccountTokens(opts.serviceAccountKey, {
      cache: this.cache,
      store: opts.store,
    });
    opts.tokens.acceptServiceAccountTokens(this.#serviceAccountTokens);
    this.serviceAllocations = new ServiceAllocations(
      opts.store,
      parseServiceCIDR(opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR),
      NODE_PORT_RANGE,
    );
    this.#serviceHooks = serviceWriteHooks(this.serviceAllocations);
    this.#repair = new AllocationRepair(opts.store, this.serviceAllocations, (l, m, e) =>
      this.#log(l, m, e),
    );
    this.#server = https.createServer(
      { cert: opts.tls.certPem, key: opts.tls.keyPem, requestTimeout: 0, keepAliveTimeout: 65_000 },
      (req, res) => void this.#handle(req, res),
    );
    this.#server.on('clientError', (_err, socket) => socket.destroy());
    this.#nodeProxy = new NodeProxy({
      getPod: (ns, name) => this.storeFor(opts.registry.get('', 'v1', 'pods')!).get(ns, name),
      getNode: (name) => this.storeFor(opts.registry.get('', 'v1', 'nodes')!).get('', name),
      ...(opts.nodeProxyToken ? { token: opts.nodeProxyToken } : {}),
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket, head);
    });
  }

  /** exec, attach and port-forward: WebSocket or SPDY upgrades proxied to the pod's agent. */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const info = parseRequestPath(req.method ?? 'GET', url.pathname, url.searchParams);
      if (!(await this.opts.tokens.authenticate(req)))
        throw new StatusError('Unauthorized', 'Unauthorized');
      const sub = info.kind === 'resource' ? info.subresource : '';
      if (
        info.kind !== 'resource' ||
        info.group !== '' ||
        info.resource !== 'pods' ||
        !info.name ||
        !['exec', 'attach', 'portforward'].includes(sub)
      ) {
        throw new StatusError('BadRequest', `${url.pathname} does not accept a protocol upgrade`);
      }
      await this.#nodeProxy.upgrade(
        req,
        socket,
        head,
        info.namespace,
        info.name,
        sub,
        url.searchParams,
      );
    } catch (err) {
      const status =
        err instanceof StatusError
          ? err
          : new StatusError(
              'InternalError',
              `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
            );
      if (!(err instanceof StatusError)) this.#log('error', `BUG: upgrade ${req.url} failed`, err);
      refuseUpgrade(socket, status);
    }
  }

  get url(): string {
    return this.#url;
  }

  /** Serves new certificates to new connections from now on (rotation while running). */
  setCertificates(tls: ServingCertificates): void {
    this.#server.setSecureContext({ cert: tls.certPem, key: tls.keyPem });
  }

  storeFor(type: ResourceType): ResourceStore {
    let rs = this.#stores.get(type);
    if (!rs) {
      rs = new ResourceStore(type, {
        store: this.opts.store,
        cache: this.cache,
        admission: this.opts.admission,
        hooks: (t) => (t.group === '' && t.kind === 'Service' ? this.#serviceHooks : undefined),
      });
      this.#stores.set(type, rs);
    }
    return rs;
  }

  /** Loads the cache, creates the system namespaces, and starts listening. */
  async start(): Promise<void> {
    await this.cache.start();
    await this.#serviceAccountTokens.publishKey();
    await this.#bootstrap();
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`port ${this.opts.port ?? 6443} is in use by another process`)
            : err,
        ),
      );
      this.#server.listen(this.opts.port ?? 6443, this.opts.host ?? '0.0.0.0', () => resolve());
    });
    const port = (this.#server.address() as AddressInfo).port;
    this.#url = `https://127.0.0.1:${port}`;
    if (this.opts.localSocketPath) await this.#listenLocal(this.opts.localSocketPath);
    const core = (resource: string) => this.storeFor(this.opts.registry.get('', 'v1', resource)!);
    this.#kubernetesService = new KubernetesService({
      services: core('services'),
      endpoints: core('endpoints'),
      endpointSlices: this.storeFor(
        this.opts.registry.get('discovery.k8s.io', 'v1', 'endpointslices')!,
      ),
      store: this.opts.store,
      clusterIP: this.serviceAllocations.range.at(0),
      ...(this.opts.advertiseAddress ? { advertiseAddress: this.opts.advertiseAddress } : {}),
      port,
      log: (l, m, e) => this.#log(l, m, e),
    });
    await this.#kubernetesService.start();
    this.#repair.start();
    this.#ready = true;
  }

  async #listenLocal(socketPath: string): Promise<void> {
    // A socket file left by a process that died is in the way; one that answers is not ours
    // to take (another wharf on this data dir), and listen() reports that.
    if (fs.existsSync(socketPath) && !(await answers(socketPath))) fs.rmSync(socketPath);
    const local = http.createServer(
      { requestTimeout: 0, keepAliveTimeout: 65_000 },
      (req, res) => void this.#handle(req, res),
    );
    local.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      local.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`${socketPath} is served by another process (is wharf already running?)`)
            : err,
        ),
      );
      local.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o600);
    this.#local = local;
  }

  /** The unix socket this server also answers on, when it was asked to. */
  get localSocketPath(): string | undefined {
    return this.#local ? this.opts.localSocketPath : undefined;
  }

  async close(): Promise<void> {
    this.#ready = false;
    this.#repair.close();
    await this.#kubernetesService
      ?.close()
      .catch((err: unknown) =>
        this.#log('warn', 'could not withdraw the kubernetes endpoints', err),
      );
    this.cache.stop();
    const servers: (http.Server | https.Server)[] = [this.#server];
    if (this.#local) servers.push(this.#local);
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  async #bootstrap(): Promise<void> {
    const namespaces = this.storeFor(this.opts.registry.get('', 'v1', 'namespaces')!);
    for (const name of BOOTSTRAP_NAMESPACES) {
      try {
        await namespaces.create('', { metadata: { name } }, { now: new Date(), dryRun: false });
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
      }
    }
  }

  #log(level: 'info' | 'warn' | 'error', message: string, err?: unknown): void {
    if (this.opts.log) this.opts.log(level, message, err);
    else if (level !== 'info') console.error(`wharf apiserver: ${message}`, err ?? '');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://localhost');
    } catch {
      return sendStatus(
        res,
        new StatusError('BadRequest', 'the request URL is not valid').toStatus(),
      );
    }
    const info = parseRequestPath(req.method ?? 'GET', url.pathname, url.searchParams);
    try {
      if (
        !PUBLIC_PATHS.has(url.pathname) &&
        !url.pathname.startsWith('/readyz') &&
        !url.pathname.startsWith('/livez')
      ) {
        const user = await this.opts.tokens.authenticate(req);
        if (!user) throw new StatusError('Unauthorized', 'Unauthorized');
        if (info.kind === 'resource') {
          await handleResourceRequest(
            {
              registry: this.opts.registry,
              storeFor: (t) => this.storeFor(t),
              tokens: this.opts.tokens,
              nodeProxy: this.#nodeProxy,
            },
            { req, res, query: url.searchParams, user, info, tokens: this.opts.tokens },
          );
          return;
        }
      }
      await handleNonResource(
        {
          registry: this.opts.registry,
          store: this.opts.store,
          metrics: this.metrics,
          openapi: this.#openapi,
          watcherCount: () => this.cache.watcherCount,
          ready: () => this.#ready,
        },
        req,
        res,
        url,
        info,
      );
    } catch (err) {
      if (err instanceof StatusError) {
        sendStatus(res, err.toStatus());
      } else {
        this.#log('error', `BUG: ${req.method} ${req.url} failed`, err);
        sendStatus(
          res,
          new StatusError(
            'InternalError',
            `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
          ).toStatus(),
        );
      }
    } finally {
      if (info.kind === 'resource' && info.verb !== 'watch') {
        this.metrics.observe(
          info.verb,
          info.resource,
          res.statusCode,
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      }
    }
  }
}

/** Whether something accepts connections on the unix socket at `socketPath`. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socketPath);
    conn.once('connect', () => {
      conn.destroy();
      resolve(true);
    });
    conn.once('error', () => resolve(false));
  });
}
