import type { KubeObject } from '../../api/index.ts';
import {
  isNotFound,
  objectKey,
  splitKey,
  WorkQueue,
  type InformerFactory,
  type Logger,
  type ResourceRef,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { isNodeReady } from '../node-lifecycle/index.ts';
import { runController } from '../workers.ts';

// The built-in load balancer, as k3s's ServiceLB gives one on a laptop: a Service of
// type LoadBalancer (without a loadBalancerClass of another implementation) gets the
// addresses of the Ready nodes as its ingress IPs, where every node's service proxy
// answers its port. A service that stops being a LoadBalancer loses the ingress.

const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const FIELD_MANAGER = 'service-lb-controller';

interface Ingress {
  ip: string;
  ipMode: 'VIP';
}

export interface ServiceLBCaches {
  services: StoreReader;
  nodes: StoreReader;
}

export type ServiceLBClient = Pick<RestClient, 'patch'>;

export class ServiceLBController {
  readonly #client: ServiceLBClient;
  readonly #factory?: InformerFactory;
  readonly #caches: ServiceLBCaches;
  readonly #queue = new WorkQueue<string>();
  readonly #log: Logger;

  constructor(client: ServiceLBClient, factory: InformerFactory | ServiceLBCaches, log: Logger) {
    this.#client = client;
    this.#log = log;
    if ('informerFor' in factory) {
      this.#factory = factory;
      const services = factory.informerFor(SERVICES);
      const nodes = factory.informerFor(NODES);
      this.#caches = { services: services.store, nodes: nodes.store };
      services.addEventHandler({
        onAdd: (s) => this.#queue.add(objectKey(s)),
        onUpdate: (_o, s) => this.#queue.add(objectKey(s)),
      });
      const all = () => {
        for (const s of this.#caches.services.list()) {
          if (isLoadBalancer(s)) this.#queue.add(objectKey(s));
        }
      };
      nodes.addEventHandler({
        onAdd: all,
        onUpdate: (o, n) => {
          if (JSON.stringify(addressesOf([o])) !== JSON.stringify(addressesOf([n]))) all();
        },
        onDelete: all,
      });
    } else {
      this.#caches = factory;
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers: 2,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: 'service-lb',
    });
  }

  /** Exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<void> {
    const svc = this.#caches.services.get(key);
    if (!svc) return;
    const current = ((svc.status as { loadBalancer?: { ingress?: Ingress[] } } | undefined)
      ?.loadBalancer?.ingress ?? []) as Ingress[];
    let want: Ingress[];
    if (isLoadBalancer(svc)) {
      want = addressesOf(this.#caches.nodes.list()).map((ip) => ({ ip, ipMode: 'VIP' }));
    } else if (isOthersLoadBalancer(svc)) {
      return;
    } else {
      want = [];
    }
    if (JSON.stringify(current) === JSON.stringify(want)) return;
    const { namespace, name } = splitKey(key);
    try {
      await this.#client.patch(
        SERVICES,
        namespace,
        name,
        { status: { loadBalancer: want.length > 0 ? { ingress: want } : {} } },
        'merge',
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function isLoadBalancer(svc: KubeObject): boolean {
  const spec = (svc.spec ?? {}) as { type?: string; loadBalancerClass?: string };
  return spec.type === 'LoadBalancer' && !spec.loadBalancerClass;
}

function isOthersLoadBalancer(svc: KubeObject): boolean {
  const spec = (svc.spec ?? {}) as { type?: string; loadBalancerClass?: string };
  return spec.type === 'LoadBalancer' && !!spec.loadBalancerClass;
}

/** InternalIPs of the Ready nodes (of all nodes when none is Ready), sorted. */
function addressesOf(nodes: KubeObject[]): string[] {
  const ready = nodes.filter((n) => isNodeReady(n));
  const chosen = ready.length > 0 ? ready : nodes;
  const ips = chosen.flatMap((n) =>
    ((n.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP')
      .map((a) => a.address),
  );
  return [...new Set(ips)].sort();
}
