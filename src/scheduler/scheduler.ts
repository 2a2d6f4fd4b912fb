import { rfc3339, type KubeObject } from '../api/index.ts';
import {
  EventRecorder,
  InformerFactory,
  isConflict,
  isNotFound,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../client/index.ts';
import { SchedulerCache } from './cache.ts';
import { findPreemption } from './core/preemption.ts';
import { schedulePod } from './core/schedule-pod.ts';
import { matchesLabels, selectorFromSpec } from '../api/selectors/index.ts';
import {
  nodeWithPods,
  podInfo,
  type FilterPlugin,
  type NodeInfo,
  type PodInfo,
  type ScorePlugin,
  type Status,
} from './framework/index.ts';
import { SchedulingQueue, type QueuedPod } from './queue.ts';

// The default scheduler: informers keep the cache (nodes and their pods) and the queue
// (pending pods) current; one loop takes the next pod, decides on the cache's snapshot,
// assumes the pod onto the chosen node and hands the binding to a pool of writers, so the
// next decision does not wait for the API. A pod that fits nowhere is marked
// PodScheduled=False/Unschedulable with a FailedScheduling event and waits for the
// cluster to change.

export const SCHEDULER_NAME = 'default-scheduler';
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const NAMESPACES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  namespaced: false,
};
const PRIORITY_CLASSES: ResourceRef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  resource: 'priorityclasses',
  namespaced: false,
};
const PDBS: ResourceRef = {
  group: 'policy',
  version: 'v1',
  resource: 'poddisruptionbudgets',
  namespaced: true,
};
const BIND_CONCURRENCY = 16;

export interface SchedulerPlugins {
  filters: FilterPlugin[];
  scores: ScorePlugin[];
  failureMessage(
    nodeCount: number,
    statuses: Map<string, Status>,
    preFilterStatus?: Status,
  ): string;
}

function keyOf(pod: KubeObject): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function isTerminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function nodeNameOf(pod: KubeObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName || undefined;
}

/** Whether an update could change where the pod fits (kube-scheduler's isPodUpdated). */
function specChanged(old: KubeObject, pod: KubeObject): boolean {
  const strip = (p: KubeObject) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata ?? {};
    return JSON.stringify({ ...p, status: undefined, metadata: meta });
  };
  return strip(old) !== strip(pod);
}

function isOurs(pod: KubeObject): boolean {
  const name = (pod.spec as { schedulerName?: string } | undefined)?.schedulerName;
  return !name || name === SCHEDULER_NAME;
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly #client: RestClient;
  readonly #factory: InformerFactory;
  readonly #plugins: SchedulerPlugins;
  readonly #events: EventRecorder;
  readonly #log: Logger;
  readonly #priorityOf: (pod: KubeObject) => number;
  readonly #pdbs: ReturnType<InformerFactory['informerFor']>;
  #startIndex = 0;
  /** Pending pods nominated to a node by preemption: node → uid → pod. */
  readonly #nominated = new Map<string, Map<string, PodInfo>>();
  #binding = 0;
  #bindWaiters: (() => void)[] = [];
  /** Scheduling latency (first seen → bound) of recent pods, for /metrics and benchmarks. */
  readonly latenciesMs: number[] = [];

  constructor(
    client: RestClient,
    factory: InformerFactory,
    plugins: SchedulerPlugins,
    log: Logger,
    host: string,
  ) {
    this.#client = client;
    this.#factory = factory;
    this.#plugins = plugins;
    this.#log = log;
    this.#events = new EventRecorder(client, SCHEDULER_NAME, host, log);
    const classes = factory.informerFor(PRIORITY_CLASSES);
    this.#priorityOf = (pod) => {
      const spec = (pod.spec ?? {}) as { priority?: number; priorityClassName?: string };
      if (spec.priorityClassName) {
        const pc = classes.store.get(spec.priorityClassName) as { value?: number } | undefined;
        if (pc?.value !== undefined) return pc.value;
      }
      return spec.priority ?? 0;
    };
    this.queue = new SchedulingQueue(this.#priorityOf);
    this.#pdbs = factory.informerFor(PDBS);
    factory.informerFor(NODES).addEventHandler({
      onAdd: (n) => {
        this.cache.upsertNode(n);
        this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (_o, n) => {
        this.cache.upsertNode(n);
        this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (n) => this.cache.removeNode(n),
    });
    // Pod affinity terms may select namespaces by label: a namespace's new labels can let
    // a waiting pod in (kube-scheduler's NamespaceAdd / UpdateNamespaceLabel events).
    factory.informerFor(NAMESPACES).addEventHandler({
      onAdd: (ns) => {
        if (this.cache.upsertNamespace(ns)) this.queue.moveAllToActiveOrBackoff();
      },
      onUpdate: (_o, ns) => {
        if (this.cache.upsertNamespace(ns)) this.queue.moveAllToActiveOrBackoff();
      },
      onDelete: (ns) => this.cache.removeNamespace(ns),
    });
    factory.informerFor(PODS).addEventHandler({
      onAdd: (p) => this.#podChanged(p, () => true),
      // Compared only for pods still pending: a binding's update needs no comparison.
      onUpdate: (o, p) => this.#podChanged(p, () => specChanged(o, p)),
      onDelete: (p) => {
        this.#nominate(p, undefined);
        this.queue.delete(keyOf(p));
        if (nodeNameOf(p)) {
          this.cache.removePod(p);
          this.queue.moveAllToActiveOrBackoff();
        }
      },
    });
  }

  /** Keeps the record of which pending pod is nominated to which node. */
  #nominate(pod: KubeObject, node: string | undefined): void {
    const uid = pod.metadata?.uid ?? '';
    for (const [name, pods] of this.#nominated) {
      if (pods.delete(uid) && pods.size === 0) this.#nominated.delete(name);
    }
    if (!node) return;
    let pods = this.#nominated.get(node);
    if (!pods) this.#nominated.set(node, (pods = new Map()));
    pods.set(uid, podInfo(pod));
  }

  /** The node as `pod` must see it: with equal or higher priority nominated pods on it. */
  #withNominated(pod: KubeObject, node: NodeInfo): NodeInfo {
    const nominated = this.#nominated.get(node.name);
    if (!nominated) return node;
    const priority = this.#priorityOf(pod);
    const uid = pod.metadata?.uid;
    const extra = [...nominated.values()].filter(
      (p) => p.pod.metadata?.uid !== uid && this.#priorityOf(p.pod) >= priority,
    );
    return extra.length === 0 ? node : nodeWithPods(node, [...node.pods, ...extra]);
  }

  #podChanged(pod: KubeObject, mayFitNow: () => boolean): void {
    const key = keyOf(pod);
    const nominatedTo = nodeNameOf(pod)
      ? undefined
      : (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    this.#nominate(pod, nominatedTo || undefined);
    if (nodeNameOf(pod)) {
      this.queue.delete(key);
      if (isTerminal(pod)) {
        this.cache.removePod(pod);
        this.queue.moveAllToActiveOrBackoff();
      } else {
        this.cache.upsertAssignedPod(pod);
      }
      return;
    }
    if (!isOurs(pod) || pod.metadata?.deletionTimestamp || isTerminal(pod)) {
      this.queue.delete(key);
      return;
    }
    if (!this.cache.isAssumedOrBound(pod.metadata?.uid ?? ''))
      this.queue.add(key, pod, mayFitNow());
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.#factory.waitForSync(signal))) return;
    signal.addEventListener('abort', () => this.queue.close(), { once: true });
    for (;;) {
      const qp = await this.queue.pop();
      if (!qp) break;
      try {
        await this.#scheduleOne(qp);
      } catch (err) {
        this.#log.error({ err, pod: qp.key }, 'BUG: scheduling a pod failed');
        this.queue.requeueAfterFailure(qp, false);
      }
    }
    while (this.#binding > 0) await new Promise<void>((r) => this.#bindWaiters.push(r));
    // The last Scheduled events are written before the client closes, for a bounded time.
    await this.#events.shutdown();
  }

  async #scheduleOne(qp: QueuedPod): Promise<void> {
    const pod = qp.pod;
    if (this.cache.isAssumedOrBound(pod.metadata?.uid ?? '')) {
      this.queue.done(qp);
      return;
    }
    const snapshot = this.cache.snapshot();
    const result = schedulePod(pod, snapshot, {
      filters: this.#plugins.filters,
      scores: this.#plugins.scores,
      startIndex: this.#startIndex,
      withNominated:
        this.#nominated.size > 0 ? (node) => this.#withNominated(pod, node) : undefined,
    });
    if (snapshot.nodes.length > 0)
      this.#startIndex = (this.#startIndex + result.evaluated) % snapshot.nodes.length;
    if (!result.node) {
      let message = this.#plugins.failureMessage(
        snapshot.nodes.length,
        result.statuses,
        result.preFilterStatus,
      );
      const candidate = result.preFilterStatus
        ? undefined
        : findPreemption({
            pod,
            snapshot,
            filters: this.#plugins.filters,
            statuses: result.statuses,
            priorityOf: this.#priorityOf,
            violatesBudget: (victim) => this.#violatesBudget(victim),
          });
      if (candidate) {
        this.#nominate(pod, candidate.node);
        await this.#preempt(pod, candidate.node, candidate.victims);
      } else if (snapshot.nodes.length > 0) {
        // As kube-scheduler says why preemption could not help either.
        const why = new Map<string, Status>();
        for (const n of snapshot.nodes) {
          const st = result.statuses.get(n.name);
          const reason =
            st?.code === 'Unschedulable'
              ? 'No preemption victims found for incoming pod'
              : 'Preemption is not helpful for scheduling';
          why.set(n.name, { code: 'Unschedulable', reasons: [reason] });
        }
        message += ` preemption: ${this.#plugins.failureMessage(snapshot.nodes.length, why)}`;
      }
      this.queue.requeueAfterFailure(qp, true);
      await this.#reportUnschedulable(pod, message, candidate?.node);
      return;
    }
    this.cache.assume(pod, result.node);
    this.queue.done(qp);
    // Bind in the background, a bounded number at a time.
    while (this.#binding >= BIND_CONCURRENCY)
      await new Promise<void>((r) => this.#bindWaiters.push(r));
    this.#binding++;
    void this.#bind(qp, result.node).finally(() => {
      this.#binding--;
      this.#bindWaiters.shift()?.();
    });
  }

  async #bind(qp: QueuedPod, node: string): Promise<void> {
    const pod = qp.pod;
    const m = pod.metadata!;
    try {
      await this.#client.createSubresource(PODS, m.namespace!, m.name!, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: m.name, namespace: m.namespace, uid: m.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.latenciesMs.push(Date.now() - qp.firstSeen);
      if (this.latenciesMs.length > 100_000) this.latenciesMs.splice(0, 50_000);
      this.#events.event(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${m.namespace}/${m.name} to ${node}`,
      );
    } catch (err) {
      this.cache.forget(pod);
      if (isNotFound(err)) return;
      this.#log.warn({ err, pod: qp.key, node }, 'binding failed; the pod goes back to the queue');
      if (!isConflict(err))
        this.#events.event(
          pod,
          'Warning',
          'FailedScheduling',
          `Binding rejected: ${String((err as Error).message)}`,
        );
      this.queue.add(qp.key, pod);
      this.queue.requeueAfterFailure(qp, false);
    }
  }

  #violatesBudget(pod: KubeObject): boolean {
    const ns = pod.metadata?.namespace;
    for (const pdb of this.#pdbs.store.list()) {
      if (pdb.metadata?.namespace !== ns) continue;
      const selector = (
        pdb.spec as { selector?: Parameters<typeof selectorFromSpec>[0] } | undefined
      )?.selector;
      if (!selector) continue;
      try {
        if (!matchesLabels(selectorFromSpec(selector), pod.metadata?.labels)) continue;
      } catch {
        continue;
      }
      if (
        ((pdb.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0) <= 0
      )
        return true;
    }
    return false;
  }

  /** Evicts `victims` so that `pod` fits on `node` once they are gone. */
  async #preempt(pod: KubeObject, node: string, victims: KubeObject[]): Promise<void> {
    for (const v of victims) {
      this.#events.event(
        v,
        'Normal',
        'Preempted',
        `Preempted by pod ${pod.metadata?.uid} on node ${node}`,
      );
      try {
        await this.#client.delete(PODS, v.metadata!.namespace!, v.metadata!.name!, {
          preconditions: { uid: v.metadata!.uid! },
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err))
          this.#log.warn({ err, victim: keyOf(v) }, 'could not preempt a pod');
      }
    }
  }

  async #reportUnschedulable(
    pod: KubeObject,
    message: string,
    nominatedNode?: string,
  ): Promise<void> {
    this.#events.event(pod, 'Warning', 'FailedScheduling', message);
    const status = (pod.status ?? {}) as {
      conditions?: { type: string; reason?: string; message?: string }[];
      nominatedNodeName?: string;
    };
    const current = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
    const sameNomination =
      nominatedNode === undefined || status.nominatedNodeName === nominatedNode;
    if (current?.reason === 'Unschedulable' && current.message === message && sameNomination)
      return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: rfc3339(),
      reason: 'Unschedulable',
      message,
    };
    const patch = {
      status: {
        conditions: [condition],
        ...(nominatedNode ? { nominatedNodeName: nominatedNode } : {}),
      },
    };
    try {
      // Strategic merge keys conditions by type, so only PodScheduled changes.
      await this.#client.patch(
        PODS,
        pod.metadata!.namespace!,
        pod.metadata!.name!,
        patch,
        'strategic',
        {
          subresource: 'status',
          fieldManager: SCHEDULER_NAME,
        },
      );
    } catch (err) {
      if (!isNotFound(err))
        this.#log.warn({ err, pod: keyOf(pod) }, 'could not mark the pod unschedulable');
    }
  }
}
