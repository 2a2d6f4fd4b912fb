import os from 'node:os';
import type { KubeObject, OwnerReference, ResourceRegistry } from '../../api/index.ts';
import { matchesLabels, selectorFromSpec, type LabelSelector } from '../../api/selectors/index.ts';
import {
  EventRecorder,
  isConflict,
  isNamespaceTerminating,
  objectKey,
  realClock,
  WorkQueue,
  type Clock,
  type IndexFunc,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { claimObjects, controllerRefOf } from '../controller-ref/index.ts';
import {
  updateDeploymentStatus,
  type DeploymentClient,
  type EventSink,
  type SyncContext,
} from './context.ts';
import { normalize } from './hash.ts';
import { checkPausedConditions } from './progress.ts';
import { rolloutRecreate, type PodMap } from './recreate.ts';
import { rolloutRolling } from './rolling.ts';
import { isScalingEvent, sync, syncStatusOnly } from './scale.ts';
import {
  controllerRefTo,
  deploymentSpec,
  deploymentStatus,
  DEPLOYMENTS,
  PODS,
  REPLICASETS,
} from './types.ts';

// The Deployment controller of kube-controller-manager (pkg/controller/deployment). Work
// items are Deployment keys (`namespace/name`). Handlers only enqueue: Deployments on any
// change, the controlling Deployment of a ReplicaSet that changed (or every Deployment
// selecting an orphan), and a Recreate Deployment whose last pod went away. reconcile(key)
// claims the ReplicaSets, then either reports (being deleted), scales (paused, or
// spec.replicas changed) or takes one step of the rollout strategy, and writes the status.

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface DeploymentCaches {
  deployments: StoreReader;
  replicaSets: StoreReader;
  pods: StoreReader;
}

export interface DeploymentControllerOptions {
  clock?: Clock;
  /** Default: an EventRecorder writing core/v1 Events through the client. */
  recorder?: EventSink;
  queue?: WorkQueue<string>;
}

/**
 * Failures in a row after which a deployment is dropped out of the queue (kube's
 * maxRetries: back-offs of 5 ms … 82 s); a new event or resync brings it back.
 */
const MAX_RETRIES = 15;

/** How soon a sync that lost a write to a newer object looks again. */
export const CONFLICT_RECHECK_MS = 1000;

/** Objects by namespace; the name is ours, as the informers are shared. */
const BY_NAMESPACE = 'deployment/namespace';
const byNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

export class DeploymentController {
  readonly #factory?: InformerFactory;
  readonly #caches: DeploymentCaches;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #ctx: SyncContext;

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: DeploymentClient,
    registry: ResourceRegistry | undefined,
    factory: InformerFactory | DeploymentCaches,
    log: Logger,
    opts: DeploymentControllerOptions = {},
  ) {
    if (registry && !registry.byKind('apps', 'v1', 'Deployment')) {
      throw new Error('Deployment (apps/v1) is not served');
    }
    const clock = opts.clock ?? realClock;
    this.#log = log;
    this.#queue = opts.queue ?? new WorkQueue<string>({ clock });
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    for (const store of Object.values(this.#caches)) ensureIndex(store);
    const events =
      opts.recorder ??
      (this.#ownEvents = new EventRecorder(
        client as RestClient,
        'deployment-controller',
        os.hostname(),
        log,
      ));
    this.#ctx = { client, events, clock, log, replicaSets: this.#caches.replicaSets };
  }

  #watch(factory: InformerFactory): DeploymentCaches {
    const deployments = factory.informerFor(DEPLOYMENTS);
    const replicaSets = factory.informerFor(REPLICASETS);
    const pods = factory.informerFor(PODS);
    deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    replicaSets.addEventHandler({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (old, rs) => this.updateReplicaSet(old, rs),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    pods.addEventHandler({ onDelete: (pod) => this.deletePod(pod) });
    return { deployments: deployments.store, replicaSets: replicaSets.store, pods: pods.store };
  }

  async run(signal: AbortSignal, workers = 5): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: 'deployment',
      retry: { maxRetries: MAX_RETRIES },
      events: this.#ownEvents,
    });
  }

  // Informer event handlers: they only enqueue. Public so tests can play events.

  enqueue(d: KubeObject): void {
    this.#queue.add(objectKey(d));
  }

  addReplicaSet(rs: KubeObject): void {
    if (rs.metadata?.deletionTimestamp) return this.deleteReplicaSet(rs);
    const ref = controllerRefOf(rs);
    if (ref) {
      const d = this.#resolve(rs.metadata?.namespace ?? '', ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.#selecting(rs)) this.enqueue(d);
  }

  updateReplicaSet(old: KubeObject, rs: KubeObject): void {
    if (old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const ref = controllerRefOf(rs);
    const oldRef = controllerRefOf(old);
    const refChanged = JSON.stringify(ref) !== JSON.stringify(oldRef);
    if (refChanged && oldRef) {
      const previous = this.#resolve(old.metadata?.namespace ?? '', oldRef);
      if (previous) this.enqueue(previous);
    }
    if (ref) {
      const d = this.#resolve(rs.metadata?.namespace ?? '', ref);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged =
      JSON.stringify(normalize(old.metadata?.labels)) !==
      JSON.stringify(normalize(rs.metadata?.labels));
    if (labelsChanged || refChanged) for (const d of this.#selecting(rs)) this.enqueue(d);
  }

  deleteReplicaSet(rs: KubeObject): void {
    const ref = controllerRefOf(rs);
    const d = ref && this.#resolve(rs.metadata?.namespace ?? '', ref);
    if (d) this.enqueue(d);
  }

  /** A Recreate rollout waits for the old pods to be gone: the last one going wakes it. */
  deletePod(pod: KubeObject): void {
    const ns = pod.metadata?.namespace ?? '';
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.#caches.replicaSets.get(`${ns}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const dRef = controllerRefOf(rs);
    const d = dRef && this.#resolve(ns, dRef);
    if (!d || deploymentSpec(d).strategy.type !== 'Recreate') return;
    const selector = selectorOf(d);
    if (!selector) return;
    const owned = this.#caches.replicaSets
      .byIndex(BY_NAMESPACE, ns)
      .filter((r) => controllerRefOf(r)?.uid === d.metadata?.uid);
    const pods = [...this.#podMap(d, selector, owned).values()].flat();
    if (pods.length === 0) this.enqueue(d);
  }

  /** The Deployment a controller reference names, if it is still the same object. */
  #resolve(namespace: string, ref: OwnerReference): KubeObject | undefined {
    if (ref.kind !== 'Deployment') return undefined;
    const d = this.#caches.deployments.get(`${namespace}/${ref.name}`);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  /** getDeploymentsForReplicaSet: Deployments with a non-empty selector matching `rs`. */
  #selecting(rs: KubeObject): KubeObject[] {
    const labels = rs.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    return this.#caches.deployments
      .byIndex(BY_NAMESPACE, rs.metadata?.namespace ?? '')
      .filter((d) => {
        const selector = selectorOf(d);
        return !!selector && selector.length > 0 && matchesLabels(selector, labels);
      });
  }

  /** getPodMapForDeployment: the selected pods of each ReplicaSet in `rsList`, by its UID. */
  #podMap(d: KubeObject, selector: LabelSelector, rsList: KubeObject[]): PodMap {
    const map: PodMap = new Map(rsList.map((rs) => [rs.metadata?.uid ?? '', []]));
    for (const pod of this.#caches.pods.byIndex(BY_NAMESPACE, d.metadata?.namespace ?? '')) {
      if (!matchesLabels(selector, pod.metadata?.labels)) continue;
      map.get(controllerRefOf(pod)?.uid ?? '')?.push(pod);
    }
    return map;
  }

  /** syncDeployment for one key; exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.#caches.deployments.get(key);
    if (!cached) return;
    // The cached object is shared: the sync changes its own copy.
    const d = structuredClone(cached);
    try {
      const after = await this.#sync(d);
      if (after !== undefined) return { requeueAfterMs: after };
    } catch (err) {
      // Every creation in a namespace being deleted fails: not worth a retry.
      if (isNamespaceTerminating(err)) return;
      // A write lost to a newer version of its object, which this sync had not seen yet:
      // that version's informer event brings the key back (it may be queued already).
      // Look again shortly in any case, without the back-off and warning of a failure.
      if (isConflict(err)) return { requeueAfterMs: CONFLICT_RECHECK_MS };
      throw err;
    }
  }

  async #sync(d: KubeObject): Promise<number | undefined> {
    const ctx = this.#ctx;
    const spec = deploymentSpec(d);
    const { namespace = '', name = '' } = d.metadata ?? {};
    if (Object.keys(normalize(spec.selector ?? {}) as object).length === 0) {
      const msg = 'This deployment is selecting all pods. A non-empty selector is required.';
      ctx.events.event(d, 'Warning', 'SelectingAll', msg);
      const generation = d.metadata?.generation ?? 0;
      if ((deploymentStatus(d).observedGeneration ?? 0) < generation) {
        deploymentStatus(d).observedGeneration = generation;
        await updateDeploymentStatus(ctx, d).catch(() => {});
      }
      return undefined;
    }
    const selector = selectorOf(d);
    if (!selector) throw new Error(`deployment ${namespace}/${name} has invalid label selector`);
    const inNamespace = this.#caches.replicaSets.byIndex(BY_NAMESPACE, namespace);
    const rsList = await claimObjects(
      {
        client: ctx.client,
        owner: d,
        ownerResource: DEPLOYMENTS,
        ownerKind: 'Deployment',
        controllerRef: controllerRefTo(d),
        resource: REPLICASETS,
        kind: 'ReplicaSet',
        match: (rs) => matchesLabels(selector, rs.metadata?.labels),
      },
      inNamespace,
    );
    const podMap = this.#podMap(d, selector, rsList);

    if (d.metadata?.deletionTimestamp) {
      await syncStatusOnly(ctx, d, rsList);
      return undefined;
    }
    await checkPausedConditions(ctx, d);
    if (spec.paused || (await isScalingEvent(ctx, d, rsList))) {
      await sync(ctx, d, rsList);
      return undefined;
    }
    switch (spec.strategy.type) {
      case 'Recreate':
        return rolloutRecreate(ctx, d, rsList, podMap);
      case 'RollingUpdate':
        return rolloutRolling(ctx, d, rsList);
    }
    throw new Error(`unexpected deployment strategy type: ${spec.strategy.type}`);
  }
}

/** The Deployment's selector; undefined when absent or unreadable (it selects nothing). */
function selectorOf(d: KubeObject): LabelSelector | undefined {
  const spec = deploymentSpec(d).selector;
  if (!spec) return undefined;
  try {
    return selectorFromSpec(spec);
  } catch {
    return undefined;
  }
}

function ensureIndex(store: StoreReader): void {
  try {
    store.byIndex(BY_NAMESPACE, '');
  } catch {
    store.addIndexer(BY_NAMESPACE, byNamespace);
  }
}
