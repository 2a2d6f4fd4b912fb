import { rfc3339, type KubeObject, type ResourceRegistry } from '../../api/index.ts';
import {
  BucketRateLimiter,
  InformerFactory,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  realClock,
  isConflict,
  isNotFound,
  WorkQueue,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../../client/index.ts';
import { collectableResources } from '../garbage-collector/index.ts';
import { runController } from '../workers.ts';

// The namespace controller: a namespace being deleted is emptied of every namespaced
// object, then its `kubernetes` finalizer is removed through the finalize subresource and
// the API server lets it go. While content remains, status.conditions say what (as
// `kubectl describe namespace` shows in Kubernetes) and the namespace is looked at again.

const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  namespaced: false,
};
const FINALIZER = 'kubernetes';
const RECHECK_MS = 1000;

export class NamespaceController {
  readonly #client: RestClient;
  // kube's nsControllerRateLimiter: a failing namespace is retried at least every minute.
  readonly #queue = new WorkQueue<string>({
    rateLimiter: new MaxOfRateLimiter<string>(
      new ItemExponentialRateLimiter<string>(5, 60_000),
      new BucketRateLimiter<string>(realClock),
    ),
  });
  readonly #log: Logger;
  readonly #factory: InformerFactory;
  readonly #contentTypes: ResourceRef[];

  constructor(
    client: RestClient,
    registry: ResourceRegistry,
    factory: InformerFactory,
    log: Logger,
  ) {
    this.#client = client;
    this.#log = log;
    this.#factory = factory;
    this.#contentTypes = collectableResources(registry).filter((r) => r.namespaced);
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata?.deletionTimestamp && ns.metadata.name) this.#queue.add(ns.metadata.name);
    };
    factory
      .informerFor(NAMESPACES)
      .addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: async (name) =>
        (await this.reconcile(name)) ? undefined : { requeueAfterMs: RECHECK_MS },
      log: this.#log,
      name: 'namespace-controller',
    });
  }

  /** Returns true when there is nothing left to do for the namespace. */
  async reconcile(name: string): Promise<boolean> {
    let ns: KubeObject;
    try {
      ns = await this.#client.get<KubeObject>(NAMESPACES, '', name);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return true;
    const remaining: string[] = [];
    let count = 0;
    for (const ref of this.#contentTypes) {
      const list = await this.#client.list<KubeObject>(ref, name);
      if (list.items.length === 0) continue;
      remaining.push(
        `${ref.group ? `${ref.resource}.${ref.group}` : ref.resource} has ${list.items.length} resource instances`,
      );
      count += list.items.length;
      for (const item of list.items) {
        if (item.metadata?.deletionTimestamp) continue;
        try {
          await this.#client.delete(ref, name, item.metadata!.name!, {
            propagationPolicy: 'Background',
            preconditions: { uid: item.metadata!.uid! },
          });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
    }
    if (count > 0) {
      await this.#report(ns, remaining);
      return false;
    }
    const finalizers = (
      (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []
    ).filter((f) => f !== FINALIZER);
    try {
      await this.#client.update(
        NAMESPACES,
        '',
        name,
        { ...ns, spec: { ...(ns.spec as object), finalizers } },
        { subresource: 'finalize' },
      );
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    return true;
  }

  async #report(ns: KubeObject, remaining: string[]): Promise<void> {
    const message = `Some resources are remaining: ${remaining.join(', ')}`;
    const status = (ns.status ?? {}) as { conditions?: { type: string; message?: string }[] };
    const existing = status.conditions?.find((c) => c.type === 'NamespaceContentRemaining');
    if (existing?.message === message) return;
    const conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'NamespaceContentRemaining'),
      {
        type: 'NamespaceContentRemaining',
        status: 'True',
        lastTransitionTime: rfc3339(),
        reason: 'SomeResourcesRemain',
        message,
      },
    ];
    try {
      await this.#client.patch(
        NAMESPACES,
        '',
        ns.metadata!.name!,
        { status: { conditions } },
        'merge',
        { subresource: 'status', fieldManager: 'namespace-controller' },
      );
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}
