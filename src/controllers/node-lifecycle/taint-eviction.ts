import os from 'node:os';
import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import { DISRUPTION_TARGET, withPodCondition } from '../../api/disruption/index.ts';
import {
  EventRecorder,
  isNotFound,
  objectKey,
  realClock,
  splitKey,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import {
  matchingTolerations,
  NODES,
  nodeTaints,
  PODS,
  podSpec,
  podStatus,
  type Taint,
  type Toleration,
} from './node-api.ts';
import { ensureIndex, PODS_BY_NODE, podsByNodeIndex, type EventSink } from './pods.ts';

// The taint eviction controller of kube-controller-manager (once the node lifecycle
// controller's taint manager): deletes pods bound to a node with a NoExecute taint they
// do not tolerate, at once; pods that tolerate every such taint for a while are deleted
// when the shortest tolerationSeconds has passed; pods that tolerate them all forever stay.
// When the taints go (or the pod comes to tolerate them forever) a pending deletion is
// cancelled. Work items:
//   node:<name>   the node's NoExecute taints changed: (re)decide for each of its pods
//   pod:<ns>/<n>  the pod was bound, changed its tolerations or went; also the timer of a
//                 pending deletion, which this item carries out when it is due
//
// Deletion is an ordinary graceful delete, after setting the DisruptionTarget condition
// (DeletionByTaintManager). On a node that is really gone nobody finishes it: the pod
// stays Terminating, which is enough for its controller to replace it (terminating pods
// are not active). Kubernetes then leaves it until the node comes back (its agent kills
// what was replaced and removes the object), the Node object is deleted (the pod GC
// force-deletes pods of missing nodes), or the node is tainted
// node.kubernetes.io/out-of-service (the pod GC force-deletes terminating pods there).
//
// Departure: a deletion is timed from the earliest timeAdded of the node's NoExecute taints
// (the node lifecycle controller stamps it), not from when this controller first saw the
// taint, so a controller restart or leader change does not restart the clock.

type Work = `node:${string}` | `pod:${string}`;

interface Pending {
  createdAt: number;
  fireAt: number;
}

/**
 * A pending deletion, or `done`: the pod was deleted; the entry stays, so the pod is not
 * deleted again, until its eviction is cancelled (TimedWorkerQueue keeps a nil worker).
 */
type Eviction = Pending | 'done';

const FIELD_MANAGER = 'taint-eviction-controller';

export interface TaintEvictionCaches {
  nodes: StoreReader;
  pods: StoreReader;
}

export type TaintEvictionClient = Pick<RestClient, 'get' | 'patch' | 'delete'>;

export interface TaintEvictionOptions {
  clock?: Clock;
  recorder?: EventSink;
}

export class TaintEvictionController {
  readonly #client: TaintEvictionClient;
  readonly #factory?: InformerFactory;
  readonly #caches: TaintEvictionCaches;
  readonly #clock: Clock;
  readonly #queue: WorkQueue<Work>;
  readonly #log: Logger;
  readonly #events: EventSink;
  readonly #evictions = new Map<string, Eviction>();

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: TaintEvictionClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | TaintEvictionCaches,
    log: Logger,
    opts: TaintEvictionOptions = {},
  ) {
    this.#client = client;
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#queue = new WorkQueue<Work>({ clock: this.#clock });
    this.#events =
      opts.recorder ??
      (this.#ownEvents = new EventRecorder(
        client as RestClient,
        FIELD_MANAGER,
        os.hostname(),
        log,
      ));
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureIndex(this.#caches.pods, PODS_BY_NODE, podsByNodeIndex);
  }

  /** Registers the event handlers; they only enqueue work. */
  #watch(factory: InformerFactory): TaintEvictionCaches {
    const nodes = factory.informerFor(NODES);
    const pods = factory.informerFor(PODS);
    const nodeChanged = (node: KubeObject) => this.#queue.add(`node:${node.metadata?.name}`);
    nodes.addEventHandler({
      onAdd: nodeChanged,
      onUpdate: (old, node) => {
        if (!sameJson(noExecuteTaints(old), noExecuteTaints(node))) nodeChanged(node);
      },
      onDelete: nodeChanged,
    });
    const podChanged = (pod: KubeObject) => this.#queue.add(`pod:${objectKey(pod)}`);
    pods.addEventHandler({
      onAdd: podChanged,
      onUpdate: (old, pod) => {
        const [a, b] = [podSpec(old), podSpec(pod)];
        if (a.nodeName !== b.nodeName || !sameJson(a.tolerations ?? [], b.tolerations ?? [])) {
          podChanged(pod);
        }
      },
      onDelete: podChanged,
    });
    return { nodes: nodes.store, pods: pods.store };
  }

  async run(signal: AbortSignal, workers = 8): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (item) => this.reconcile(item),
      log: this.#log,
      name: 'taint-eviction',
      events: this.#ownEvents,
    });
  }

  /** One work item; exported for tests, which call it with seeded caches. */
  async reconcile(item: Work): Promise<ReconcileResult | void> {
    return item.startsWith('node:')
      ? this.#nodeUpdated(item.slice(5))
      : this.#podUpdated(item.slice(4));
  }

  /** handleNodeUpdate. A deleted node's pods are the pod GC's business. */
  async #nodeUpdated(name: string): Promise<void> {
    const node = this.#caches.nodes.get(name);
    if (!node) return;
    const taints = noExecuteTaints(node);
    const pods = this.#caches.pods.byIndex(PODS_BY_NODE, name);
    const now = this.#clock.now();
    for (const pod of pods) {
      const key = objectKey(pod);
      if (taints.length === 0) {
        this.#cancel(key);
        continue;
      }
      const eviction = this.#decide(key, podSpec(pod).tolerations ?? [], taints, now);
      if (eviction && eviction !== 'done')
        this.#queue.addAfter(`pod:${key}`, eviction.fireAt - now);
    }
  }

  /** handlePodUpdate, and the firing of a pending deletion. */
  async #podUpdated(key: string): Promise<ReconcileResult | void> {
    const pod = this.#caches.pods.get(key);
    if (!pod) {
      this.#cancel(key);
      return;
    }
    const nodeName = podSpec(pod).nodeName;
    if (!nodeName) return;
    const node = this.#caches.nodes.get(nodeName);
    // A node that is gone cancels nothing: a pending deletion still happens, as kube's
    // timers do not look at the node again.
    if (!node) return this.#fireIfDue(key);
    const taints = noExecuteTaints(node);
    if (taints.length === 0) {
      this.#cancel(key);
      return;
    }
    this.#decide(key, podSpec(pod).tolerations ?? [], taints, this.#clock.now());
    return this.#fireIfDue(key);
  }

  async #fireIfDue(key: string): Promise<ReconcileResult | void> {
    const eviction = this.#evictions.get(key);
    if (!eviction || eviction === 'done') return;
    const now = this.#clock.now();
    if (eviction.fireAt > now) return { requeueAfterMs: eviction.fireAt - now };
    await this.#evict(key, eviction);
  }

  /** processPodOnNode: what should happen to the pod; answers its eviction, if any. */
  #decide(
    key: string,
    tolerations: readonly Toleration[],
    taints: readonly Taint[],
    now: number,
  ): Eviction | undefined {
    const { allTolerated, used } = matchingTolerations(taints, tolerations);
    if (!allTolerated) {
      // Delete now: a deletion already due stands; any other is replaced.
      const existing = this.#evictions.get(key);
      if (existing && existing !== 'done' && existing.fireAt <= now) return existing;
      this.#cancel(key);
      return this.#schedule(key, now, now);
    }
    const seconds = minTolerationSeconds(used);
    if (seconds < 0) {
      this.#cancel(key);
      return undefined;
    }
    // A deletion already pending keeps its time.
    const existing = this.#evictions.get(key);
    if (existing && existing !== 'done') return existing;
    const start = taintsSince(taints, now);
    return this.#schedule(key, start, start + seconds * 1000);
  }

  /** AddWork: nothing changes if the pod already has an eviction (or was deleted). */
  #schedule(key: string, createdAt: number, fireAt: number): Eviction {
    const existing = this.#evictions.get(key);
    if (existing) return existing;
    const eviction: Pending = { createdAt, fireAt };
    this.#evictions.set(key, eviction);
    return eviction;
  }

  /** cancelWorkWithEvent: the event only for a deletion that was still pending. */
  #cancel(key: string): void {
    const existing = this.#evictions.get(key);
    if (!existing) return;
    this.#evictions.delete(key);
    if (existing === 'done') return;
    const { namespace, name } = splitKey(key);
    this.#events.event(
      podRef(namespace, name),
      'Normal',
      'TaintManagerEviction',
      `Cancelling deletion of Pod ${key}`,
    );
  }

  async #evict(key: string, eviction: Pending): Promise<void> {
    const { namespace, name } = splitKey(key);
    this.#events.event(
      podRef(namespace, name),
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${key}`,
    );
    try {
      await this.#addConditionAndDelete(namespace, name);
      if (this.#evictions.get(key) === eviction) this.#evictions.set(key, 'done');
    } catch (err) {
      // Forgotten, so the retry (with back-off) decides afresh.
      if (this.#evictions.get(key) === eviction) this.#evictions.delete(key);
      throw err;
    }
  }

  /** addConditionAndDeletePod: DisruptionTarget (DeletionByTaintManager), then an ordinary delete. */
  async #addConditionAndDelete(namespace: string, name: string): Promise<void> {
    let pod: KubeObject;
    try {
      pod = await this.#client.get(PODS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const next = withPodCondition(
      pod,
      {
        type: DISRUPTION_TARGET,
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      },
      this.#clock.now(),
    );
    try {
      if (next) {
        const condition = podStatus(next).conditions!.find((c) => c.type === DISRUPTION_TARGET);
        // A strategic merge patch merges conditions by type; the uid pins the pod read.
        await this.#client.patch(
          PODS,
          namespace,
          name,
          { metadata: { uid: pod.metadata?.uid }, status: { conditions: [condition] } },
          'strategic',
          { subresource: 'status', fieldManager: FIELD_MANAGER },
        );
      }
      await this.#client.delete(PODS, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function noExecuteTaints(node: KubeObject): Taint[] {
  return nodeTaints(node).filter((t) => t.effect === 'NoExecute');
}

/** getMinTolerationTime in seconds: 0 when any is ≤ 0 (or none), -1 when all are forever. */
export function minTolerationSeconds(tolerations: readonly Toleration[]): number {
  if (tolerations.length === 0) return 0;
  let min = Infinity;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return Number.isFinite(min) ? min : -1;
}

/** The earliest timeAdded of the taints, or `now` when none says (or one is in the future). */
function taintsSince(taints: readonly Taint[], now: number): number {
  let since = now;
  for (const t of taints) {
    const at = Date.parse(t.timeAdded ?? '');
    if (!Number.isNaN(at) && at < since) since = at;
  }
  return since;
}

function podRef(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace } };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
