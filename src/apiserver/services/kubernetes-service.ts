import type { KubeObject } from '../../api/index.ts';
import { isStoreError, type Backend } from '../../store/index.ts';
import { StatusError } from '../errors.ts';
import type { ResourceStore } from '../storage/resource-store.ts';

// The `kubernetes` Service in `default` and its endpoints: the first address of the
// service range leads pods to the API servers. Every API server keeps a short-lived lease
// (`/wharf/masterleases/<ip>`, Kubernetes' lease endpoint reconciler) and writes the
// Endpoints and EndpointSlice from the leases that are alive, so a server that dies
// drops out of the service within a lease period.

const LEASE_PREFIX = '/wharf/masterleases/';
const LEASE_TTL_SECONDS = 15;
const RECONCILE_MS = 10_000;
const NAME = 'kubernetes';
const NAMESPACE = 'default';

export interface KubernetesServiceOptions {
  services: ResourceStore;
  endpoints: ResourceStore;
  endpointSlices: ResourceStore;
  store: Backend;
  clusterIP: string;
  /** The address pods use to reach this API server; no endpoints when absent. */
  advertiseAddress?: string;
  port: number;
  log: (level: 'info' | 'warn' | 'error', message: string, err?: unknown) => void;
}

const ctx = () => ({ now: new Date(), dryRun: false });

export class KubernetesService {
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly opts: KubernetesServiceOptions) {}

  async start(): Promise<void> {
    await this.#ensureService();
    await this.reconcile();
    this.#timer = setInterval(() => {
      this.reconcile().catch((err: unknown) =>
        this.opts.log('warn', 'could not update the kubernetes service endpoints', err),
      );
    }, RECONCILE_MS);
    this.#timer.unref();
  }

  /** Drops this server's lease and endpoints: a clean stop leaves the service at once. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const ip = this.opts.advertiseAddress;
    if (!ip) return;
    try {
      await this.opts.store.delete(LEASE_PREFIX + ip);
    } catch (err) {
      if (!isStoreError(err, 'NotFound')) throw err;
    }
    await this.#writeEndpoints(await this.#liveAddresses());
  }

  async reconcile(): Promise<void> {
    if (this.#closed) return;
    const ip = this.opts.advertiseAddress;
    if (ip) {
      const key = LEASE_PREFIX + ip;
      const value = Buffer.from(JSON.stringify({ port: this.opts.port }));
      const kv = await this.opts.store.get(key);
      if (kv)
        await this.opts.store.update(key, value, kv.modRevision, { ttlSeconds: LEASE_TTL_SECONDS });
      else await this.opts.store.create(key, value, { ttlSeconds: LEASE_TTL_SECONDS });
    }
    await this.#writeEndpoints(await this.#liveAddresses());
  }

  async #liveAddresses(): Promise<string[]> {
    const page = await this.opts.store.list(LEASE_PREFIX);
    return page.kvs.map((kv) => kv.key.slice(LEASE_PREFIX.length)).sort();
  }

  async #ensureService(): Promise<void> {
    const svc: KubeObject = {
      metadata: {
        name: NAME,
        namespace: NAMESPACE,
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: this.opts.clusterIP,
        clusterIPs: [this.opts.clusterIP],
        sessionAffinity: 'None',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.opts.port }],
      },
    };
    try {
      await this.opts.services.create(NAMESPACE, svc, ctx());
      return;
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
    }
    const current = await this.opts.services.get(NAMESPACE, NAME);
    const spec = current.spec as { clusterIP?: string };
    if (spec.clusterIP !== this.opts.clusterIP) {
      this.opts.log(
        'warn',
        `the kubernetes service has cluster IP ${spec.clusterIP}, not ${this.opts.clusterIP}: the service range changed; delete the service to move it`,
      );
    }
    // The target port follows the API server's port.
    await this.opts.services.guaranteedUpdate(
      NAMESPACE,
      NAME,
      (s) => {
        const ports = (s.spec as { ports?: { targetPort?: number }[] }).ports ?? [];
        for (const p of ports) p.targetPort = this.opts.port;
        return s;
      },
      ctx(),
    );
  }

  async #writeEndpoints(ips: string[]): Promise<void> {
    const port = { name: 'https', port: this.opts.port, protocol: 'TCP' };
    const subsets = ips.length > 0 ? [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }] : [];
    await upsert(
      this.opts.endpoints,
      {
        metadata: {
          name: NAME,
          namespace: NAMESPACE,
          labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
        },
        subsets,
      },
      (o) => {
        o.subsets = subsets;
        return o;
      },
    );
    const endpoints = ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
    await upsert(
      this.opts.endpointSlices,
      {
        metadata: {
          name: NAME,
          namespace: NAMESPACE,
          labels: { 'kubernetes.io/service-name': NAME },
        },
        addressType: 'IPv4',
        endpoints,
        ports: [port],
      },
      (o) => {
        o.endpoints = endpoints;
        o.ports = [port];
        return o;
      },
    );
  }
}

async function upsert(
  rs: ResourceStore,
  obj: KubeObject,
  mutate: (current: KubeObject & Record<string, unknown>) => KubeObject,
): Promise<void> {
  try {
    await rs.guaranteedUpdate(
      NAMESPACE,
      obj.metadata!.name!,
      (c) => mutate(c as KubeObject & Record<string, unknown>),
      ctx(),
    );
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
    try {
      await rs.create(NAMESPACE, obj, ctx());
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
