import type { KubeObject, OwnerReference, ResourceRegistry } from '../../api/index.ts';
import { apiVersionOf, parseApiVersion } from '../../api/index.ts';
import {
  isConflict,
  isNotFound,
  namespaceIndex,
  realClock,
  splitKey,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type ResourceRef,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import {
  countHealthy,
  expectedCounts,
  failSafeStatus,
  liveDisruptions,
  nextStatus,
  selectsPod,
  specOf,
  statusOf,
  type BudgetStatus,
  type ScaleFinder,
} from '../../api/disruption/index.ts';
import {
  DISRUPTION_TARGET,
  staleDisruptionWait,
  withPodCondition,
} from '../../api/disruption/index.ts';
import {
  DEPLOYMENTS,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
  STATEFUL_SETS,
  workloadScaleFinder,
} from './scale.ts';

// The disruption controller of kube-controller-manager: keeps every PodDisruptionBudget's
// status (expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed,
// disruptedPods, the DisruptionAllowed condition) current, which is what the eviction API
// decides by. Work items:
//   pdb:<ns>/<name>  recompute a budget's status (on changes to the budget, its pods, or
//                    workloads in its namespace; again when a disruptedPods entry expires)
//   pod:<ns>/<name>  reset a DisruptionTarget condition the eviction API left on a pod
//                    that was then not deleted within two minutes

type Work = `${'pdb' | 'pod'}:${string}`;

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const PDBS: ResourceRef = {
  group: 'policy',
  version: 'v1',
  resource: 'poddisruptionbudgets',
  namespaced: true,
};

const FIELD_MANAGER = 'disruption-controller';
/** Budgets and pods by namespace; our own index name, so no other controller's collides. */
export const BY_NAMESPACE = 'disruption/namespace';

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface DisruptionCaches {
  pods: StoreReader;
  budgets: StoreReader;
  replicationControllers: StoreReader;
  replicaSets: StoreReader;
  deployments: StoreReader;
  statefulSets: StoreReader;
}

/** The API calls reconcile makes. */
export type DisruptionClient = Pick<RestClient, 'get' | 'update'>;

export interface DisruptionControllerOptions {
  clock?: Clock;
}

export class DisruptionController {
  readonly #client: DisruptionClient;
  readonly #registry: ResourceRegistry;
  readonly #factory?: InformerFactory;
  readonly #caches: DisruptionCaches;
  readonly #clock: Clock;
  readonly #queue: WorkQueue<Work>;
  readonly #log: Logger;
  readonly #findScale: ScaleFinder;

  constructor(
    client: DisruptionClient,
    registry: ResourceRegistry,
    factory: InformerFactory | DisruptionCaches,
    log: Logger,
    opts: DisruptionControllerOptions = {},
  ) {
    this.#client = client;
    this.#registry = registry;
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#queue = new WorkQueue<Work>({ clock: this.#clock });
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    this.#findScale = workloadScaleFinder(this.#caches, (ref, ns) => this.#scaleViaApi(ref, ns));
  }

  /** Registers the event handlers; they only enqueue work. */
  #watch(factory: InformerFactory): DisruptionCaches {
    const pods = factory.informerFor(PODS);
    const budgets = factory.informerFor(PDBS);
    ensureNamespaceIndex(budgets.store);
    ensureNamespaceIndex(pods.store);
    budgets.addEventHandler({
      onAdd: (pdb) => this.#enqueue('pdb', pdb),
      onUpdate: (_old, pdb) => this.#enqueue('pdb', pdb),
      onDelete: (pdb) => this.#enqueue('pdb', pdb),
    });
    pods.addEventHandler({
      onAdd: (pod) => this.#podChanged(pod),
      // A pod whose labels changed may have left a budget: both sides are looked at.
      onUpdate: (old, pod) => {
        this.#podChanged(pod);
        if (!sameLabels(old, pod)) this.#budgetsOf(old);
      },
      onDelete: (pod) => this.#budgetsOf(pod),
    });
    // Scaling a workload changes expectedPods of budgets given in percent or with
    // maxUnavailable before any pod changes; look at the namespace's budgets again.
    const workloads = [REPLICATION_CONTROLLERS, REPLICA_SETS, DEPLOYMENTS, STATEFUL_SETS].map(
      (ref) => factory.informerFor(ref),
    );
    for (const informer of workloads) {
      const changed = (obj: KubeObject) => this.#budgetsIn(obj.metadata?.namespace ?? '');
      informer.addEventHandler({
        onAdd: changed,
        onUpdate: (old, obj) => {
          if (replicas(old) !== replicas(obj)) changed(obj);
        },
        onDelete: changed,
      });
    }
    const [replicationControllers, replicaSets, deployments, statefulSets] = workloads.map(
      (i) => i.store,
    ) as [StoreReader, StoreReader, StoreReader, StoreReader];
    return {
      pods: pods.store,
      budgets: budgets.store,
      replicationControllers,
      replicaSets,
      deployments,
      statefulSets,
    };
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (item) => this.reconcile(item),
      log: this.#log,
      name: 'disruption',
    });
  }

  #enqueue(kind: 'pdb' | 'pod', obj: KubeObject): void {
    const { namespace, name } = obj.metadata ?? {};
    if (namespace && name) this.#queue.add(`${kind}:${namespace}/${name}`);
  }

  #budgetsOf(pod: KubeObject): void {
    const ns = pod.metadata?.namespace ?? '';
    for (const pdb of this.#caches.budgets.byIndex(BY_NAMESPACE, ns)) {
      if (selectsPod(pdb, pod)) this.#enqueue('pdb', pdb);
    }
  }

  #budgetsIn(namespace: string): void {
    for (const pdb of this.#caches.budgets.byIndex(BY_NAMESPACE, namespace)) {
      this.#enqueue('pdb', pdb);
    }
  }

  #podChanged(pod: KubeObject): void {
    this.#budgetsOf(pod);
    const wait = staleDisruptionWait(pod, this.#clock.now());
    if (wait === undefined) return;
    const key: Work = `pod:${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (wait > 0) this.#queue.addAfter(key, wait);
    else this.#queue.add(key);
  }

  /** One work item; exported for tests, which call it with seeded caches. */
  async reconcile(item: Work): Promise<ReconcileResult | void> {
    const key = item.slice(4);
    return item.startsWith('pdb:') ? this.#syncBudget(key) : this.#resetStaleCondition(key);
  }

  async #syncBudget(key: string): Promise<ReconcileResult | void> {
    const cached = this.#caches.budgets.get(key);
    if (!cached) return;
    try {
      return await this.#trySync(cached);
    } catch (err) {
      // A conflict means the budget changed after our cache saw it (an eviction spent a
      // disruption, say): the informer's event for that change enqueues it again.
      if (isConflict(err)) return;
      const message = err instanceof Error ? err.message : String(err);
      this.#log.warn({ err, pdb: key }, `disruption: failed to sync PodDisruptionBudget ${key}`);
      await this.#writeStatus(cached, failSafeStatus(cached, message, this.#clock.now()));
    }
  }

  async #trySync(pdb: KubeObject): Promise<ReconcileResult | void> {
    const ns = pdb.metadata?.namespace ?? '';
    const pods = this.#caches.pods.byIndex(BY_NAMESPACE, ns).filter((pod) => selectsPod(pdb, pod));
    const counts = await expectedCounts(specOf(pdb), pods, this.#findScale);
    if (counts.unmanagedPods.length > 0) {
      this.#log.info(
        { pdb: `${ns}/${pdb.metadata?.name}`, pods: counts.unmanagedPods },
        'disruption: pods selected by this PodDisruptionBudget have no controller; set .spec.minAvailable to an integer to account for them',
      );
    }
    const now = this.#clock.now();
    const disruptions = liveDisruptions(pods, statusOf(pdb).disruptedPods, now);
    const status = nextStatus(
      pdb,
      {
        currentHealthy: countHealthy(pods, disruptions.disruptedPods, now),
        desiredHealthy: counts.desiredHealthy,
        expectedPods: counts.expectedPods,
        disruptedPods: disruptions.disruptedPods,
      },
      now,
    );
    if (status) await this.#writeStatus(pdb, status);
    if (disruptions.recheckAt !== undefined) {
      return { requeueAfterMs: Math.max(0, disruptions.recheckAt - now) };
    }
  }

  /** UpdateStatus with the cached resourceVersion: a stale cache fails with Conflict. */
  async #writeStatus(pdb: KubeObject, status: BudgetStatus): Promise<void> {
    // The cached object is shared: write a copy.
    const next = { ...structuredClone(pdb), status };
    try {
      await this.#client.update(
        PDBS,
        pdb.metadata?.namespace ?? '',
        pdb.metadata?.name ?? '',
        next,
        {
          subresource: 'status',
          fieldManager: FIELD_MANAGER,
        },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** getScaleController: any kind with a scale subresource, read through the API. */
  async #scaleViaApi(
    ref: OwnerReference,
    namespace: string,
  ): Promise<{ uid: string; replicas: number } | null> {
    const { group, version } = parseApiVersion(ref.apiVersion);
    const type = this.#registry.byKind(group, version, ref.kind);
    if (!type) {
      throw new Error(
        `no matches for kind "${ref.kind}" in version "${apiVersionOf(group, version)}"`,
      );
    }
    if (!type.scale) {
      const resource = type.group ? `${type.resource}.${type.group}` : type.resource;
      throw new Error(`${resource} does not implement the scale subresource`);
    }
    let owner: KubeObject;
    try {
      owner = await this.#client.get(
        {
          group: type.group,
          version: type.version,
          resource: type.resource,
          namespaced: type.namespaced,
        },
        namespace,
        ref.name,
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    if (owner.metadata?.uid !== ref.uid) return null;
    return { uid: ref.uid, replicas: Number(pathValue(owner, type.scale.specReplicas) ?? 0) };
  }

  /** syncStalePodDisruption: DisruptionTarget back to False on a pod that was not deleted. */
  async #resetStaleCondition(key: string): Promise<ReconcileResult | void> {
    const pod = this.#caches.pods.get(key);
    if (!pod) return;
    const now = this.#clock.now();
    const wait = staleDisruptionWait(pod, now);
    if (wait === undefined) return;
    if (wait > 0) return { requeueAfterMs: wait };
    const next = withPodCondition(pod, { type: DISRUPTION_TARGET, status: 'False' }, now);
    if (!next) return;
    const { namespace, name } = splitKey(key);
    try {
      await this.#client.update(PODS, namespace, name, structuredClone(next), {
        subresource: 'status',
        fieldManager: FIELD_MANAGER,
      });
    } catch (err) {
      // Gone, or changed since our cache saw it (its event brings the pod round again).
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

function sameLabels(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a.metadata?.labels ?? {}) === JSON.stringify(b.metadata?.labels ?? {});
}

function replicas(obj: KubeObject): unknown {
  return (obj.spec as { replicas?: unknown } | undefined)?.replicas;
}

function pathValue(obj: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

/** Adds BY_NAMESPACE to a shared informer's store unless it is there already. */
function ensureNamespaceIndex(store: StoreReader): void {
  try {
    store.byIndex(BY_NAMESPACE, '');
  } catch {
    store.addIndexer(BY_NAMESPACE, namespaceIndex);
  }
}
