import os from 'node:os';
import type { KubeObject, OwnerReference, ResourceRegistry } from '../../api/index.ts';
import { matchesLabels } from '../../api/selectors/index.ts';
import {
  EventRecorder,
  objectKey,
  realClock,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { Backoff } from './backoff.ts';
import type { DaemonSetCaches, DaemonSetClient, EventSink, SyncContext } from './context.ts';
import { Expectations } from '../expectations/index.ts';
import { BY_NAMESPACE, ensureNamespaceIndex } from './indexes.ts';
import { nodeShouldRunDaemonPod, type NodePlacement } from './placement.ts';
import { isPodReady, podKey } from './pods.ts';
import { syncDaemonSet } from './sync.ts';
import {
  BURST_REPLICAS,
  COMPONENT,
  CONTROLLER_REVISIONS,
  controllerRefOf,
  DAEMONSETS,
  KIND,
  NODES,
  PODS,
  podSelector,
  specOf,
} from './types.ts';

// The DaemonSet controller of kube-controller-manager (pkg/controller/daemon). Work items
// are DaemonSet keys (`namespace/name`). Event handlers only enqueue keys and settle
// expectations; reconcile(key) runs syncDaemonSet (sync.ts) on the cached DaemonSet.

export interface DaemonSetControllerOptions {
  clock?: Clock;
  /** Default: an EventRecorder writing core/v1 Events through the client. */
  recorder?: EventSink;
  queue?: WorkQueue<string>;
  burstReplicas?: number;
}

export class DaemonSetController {
  readonly #factory?: InformerFactory;
  readonly #caches: DaemonSetCaches;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #expectations: Expectations;
  readonly #base: Omit<SyncContext, 'requeueAfter'>;

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: DaemonSetClient,
    registry: ResourceRegistry | undefined,
    factory: InformerFactory | DaemonSetCaches,
    log: Logger,
    opts: DaemonSetControllerOptions = {},
  ) {
    for (const ref of [DAEMONSETS, CONTROLLER_REVISIONS]) {
      const kind = ref === DAEMONSETS ? KIND : 'ControllerRevision';
      if (registry && !registry.byKind(ref.group, ref.version, kind)) {
        throw new Error(`${kind} (apps/v1) is not served`);
      }
    }
    const clock = opts.clock ?? realClock;
    this.#log = log;
    this.#queue = opts.queue ?? new WorkQueue<string>({ clock });
    this.#expectations = new Expectations(clock);
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    for (const store of [this.#caches.daemonSets, this.#caches.pods, this.#caches.revisions]) {
      ensureNamespaceIndex(store);
    }
    this.#base = {
      client,
      caches: this.#caches,
      events:
        opts.recorder ??
        (this.#ownEvents = new EventRecorder(client as RestClient, COMPONENT, os.hostname(), log)),
      expectations: this.#expectations,
      failedPodsBackoff: new Backoff(clock),
      clock,
      log,
      burstReplicas: opts.burstReplicas ?? BURST_REPLICAS,
    };
  }

  #watch(factory: InformerFactory): DaemonSetCaches {
    const daemonSets = factory.informerFor(DAEMONSETS);
    const revisions = factory.informerFor(CONTROLLER_REVISIONS);
    const pods = factory.informerFor(PODS);
    const nodes = factory.informerFor(NODES);
    daemonSets.addEventHandler({
      onAdd: (ds) => this.addDaemonSet(ds),
      onUpdate: (old, ds) => this.updateDaemonSet(old, ds),
      onDelete: (ds) => this.deleteDaemonSet(ds),
    });
    revisions.addEventHandler({
      onAdd: (cr) => this.addHistory(cr),
      onUpdate: (old, cr) => this.updateHistory(old, cr),
      onDelete: (cr) => this.deleteHistory(cr),
    });
    pods.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.deletePod(pod),
    });
    nodes.addEventHandler({
      onAdd: (node) => this.addNode(node),
      onUpdate: (old, node) => this.updateNode(old, node),
      onDelete: (node) => this.deleteNode(node),
    });
    return {
      daemonSets: daemonSets.store,
      revisions: revisions.store,
      pods: pods.store,
      nodes: nodes.store,
    };
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: COMPONENT,
      events: this.#ownEvents,
    });
  }

  // Informer event handlers: they only enqueue and settle expectations. Public so tests
  // can play events without an informer.

  addDaemonSet(ds: KubeObject): void {
    this.#queue.add(objectKey(ds));
  }

  updateDaemonSet(old: KubeObject, ds: KubeObject): void {
    // Deleted and re-created between two events: the old one's expectations go.
    if (old.metadata?.uid !== ds.metadata?.uid) this.deleteDaemonSet(old);
    this.#queue.add(objectKey(ds));
  }

  deleteDaemonSet(ds: KubeObject): void {
    const key = objectKey(ds);
    this.#expectations.delete(key);
    this.#queue.add(key);
  }

  addHistory(cr: KubeObject): void {
    if (cr.metadata?.deletionTimestamp) return this.deleteHistory(cr);
    // Owned: the owner made it and needs no wake-up. An orphan: who might adopt it?
    if (controllerRefOf(cr)) return;
    for (const ds of this.#selecting(cr)) this.#queue.add(objectKey(ds));
  }

  updateHistory(old: KubeObject, cr: KubeObject): void {
    this.#updateOwned(old, cr);
  }

  deleteHistory(cr: KubeObject): void {
    const ds = this.#resolve(cr);
    if (ds) this.#queue.add(objectKey(ds));
  }

  addPod(pod: KubeObject): void {
    // Seen for the first time already being deleted (after a restart): not a creation.
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    if (controllerRefOf(pod)) {
      const ds = this.#resolve(pod);
      if (!ds) return;
      this.#expectations.creationObserved(objectKey(ds));
      this.#queue.add(objectKey(ds));
      return;
    }
    for (const ds of this.#selecting(pod)) this.#queue.add(objectKey(ds));
  }

  updatePod(old: KubeObject, pod: KubeObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    // A graceful deletion started: act now, not when the pod is finally gone.
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ds = this.#updateOwned(old, pod);
    // Look again once the pod that just became ready counts as available (a second late,
    // so the check is not a hair early).
    const { minReadySeconds } = ds ? specOf(ds) : { minReadySeconds: 0 };
    if (ds && minReadySeconds > 0 && !isPodReady(old) && isPodReady(pod)) {
      this.#queue.addAfter(objectKey(ds), minReadySeconds * 1000 + 1000);
    }
  }

  deletePod(pod: KubeObject): void {
    const ds = this.#resolve(pod);
    if (!ds) return;
    this.#expectations.deletionObserved(objectKey(ds), podKey(pod));
    this.#queue.add(objectKey(ds));
  }

  addNode(node: KubeObject): void {
    for (const ds of this.#caches.daemonSets.list()) {
      if (nodeShouldRunDaemonPod(node, ds).shouldRun) this.#queue.add(objectKey(ds));
    }
  }

  updateNode(old: KubeObject, node: KubeObject): void {
    // Only labels, taints and the name decide placement: heartbeats change none.
    if (
      sameJson(old.metadata?.labels, node.metadata?.labels) &&
      sameJson(taints(old), taints(node))
    ) {
      return;
    }
    for (const ds of this.#caches.daemonSets.list()) {
      if (!samePlacement(nodeShouldRunDaemonPod(old, ds), nodeShouldRunDaemonPod(node, ds))) {
        this.#queue.add(objectKey(ds));
      }
    }
  }

  /** Kubernetes leaves this to the pod GC's deletions; wharf refreshes the counts at once. */
  deleteNode(node: KubeObject): void {
    for (const ds of this.#caches.daemonSets.list()) {
      const placement = nodeShouldRunDaemonPod(node, ds);
      if (placement.shouldRun || placement.shouldContinueRunning) this.#queue.add(objectKey(ds));
    }
  }

  /**
   * updatePod and updateHistory: wakes the previous controller if the reference changed,
   * and the current one; for an orphan whose labels or reference changed, every
   * DaemonSet that selects it. Answers the current controller, if any.
   */
  #updateOwned(old: KubeObject, obj: KubeObject): KubeObject | undefined {
    if (old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return undefined;
    const ref = controllerRefOf(obj);
    const oldRef = controllerRefOf(old);
    const refChanged = !sameJson(ref, oldRef);
    if (refChanged && oldRef) {
      const previous = this.#resolve(old);
      if (previous) this.#queue.add(objectKey(previous));
    }
    if (ref) {
      const ds = this.#resolve(obj);
      if (ds) this.#queue.add(objectKey(ds));
      return ds;
    }
    if (refChanged || !sameJson(old.metadata?.labels, obj.metadata?.labels)) {
      for (const ds of this.#selecting(obj)) this.#queue.add(objectKey(ds));
    }
    return undefined;
  }

  /** resolveControllerRef: the DaemonSet the controller reference names, if still the same one. */
  #resolve(obj: KubeObject): KubeObject | undefined {
    const ref: OwnerReference | undefined = controllerRefOf(obj);
    if (!ref || ref.kind !== KIND) return undefined;
    const ds = this.#caches.daemonSets.get(`${obj.metadata?.namespace}/${ref.name}`);
    return ds?.metadata?.uid === ref.uid ? ds : undefined;
  }

  /** GetPodDaemonSets / GetHistoryDaemonSets: DaemonSets of the namespace selecting `obj`. */
  #selecting(obj: KubeObject): KubeObject[] {
    const inNamespace = this.#caches.daemonSets.byIndex(
      BY_NAMESPACE,
      obj.metadata?.namespace ?? '',
    );
    return inNamespace.filter((ds) => {
      const selector = podSelector(ds);
      return !!selector && selector.length > 0 && matchesLabels(selector, obj.metadata?.labels);
    });
  }

  /** One DaemonSet key (syncDaemonSet); exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const ds = this.#caches.daemonSets.get(key);
    if (!ds) {
      this.#expectations.delete(key);
      return;
    }
    let requeueAfterMs: number | undefined;
    const requeueAfter = (ms: number) => {
      requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
    };
    await syncDaemonSet({ ...this.#base, requeueAfter }, ds);
    // Kubernetes relies on its informers' periodic resync to come back to a DaemonSet
    // whose expectations never settle; wharf's informers do not resync, so look at expiry.
    const expiresIn = this.#expectations.expiresIn(key);
    if (expiresIn !== undefined) requeueAfter(expiresIn + 1);
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  }
}

function taints(node: KubeObject): unknown {
  return (node.spec as { taints?: unknown } | undefined)?.taints;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function samePlacement(a: NodePlacement, b: NodePlacement): boolean {
  return a.shouldRun === b.shouldRun && a.shouldContinueRunning === b.shouldContinueRunning;
}
