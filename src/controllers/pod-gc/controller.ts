import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import { DISRUPTION_TARGET, withPodCondition } from '../../api/disruption/index.ts';
import {
  isNotFound,
  realClock,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type ResourceRef,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { isNodeReady, nodeTaints, TAINT_OUT_OF_SERVICE } from '../node-lifecycle/index.ts';

// The pod garbage collector of kube-controller-manager. Every gcCheckPeriod it
// force-deletes (grace 0, after setting phase Failed as a dead node cannot):
//   - terminated pods (Succeeded, Failed) beyond terminatedPodGCThreshold, evicted ones
//     first, then the oldest;
//   - terminating pods on a node that is not Ready and tainted
//     node.kubernetes.io/out-of-service (the operator says the node is gone for good);
//   - pods bound to a node that does not exist: the name is quarantined for a while (the
//     node may just not be in our cache yet), then looked up in the API; if it is still
//     missing, its pods go, with DisruptionTarget (DeletionByPodGC);
//   - terminating pods never bound to a node.
// It is the one work item `gc`, re-queued every period.

type Work = 'gc';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const FIELD_MANAGER = 'pod-garbage-collector';
/** Deletions in flight at once. */
const DELETE_CONCURRENCY = 16;

export interface PodGCCaches {
  pods: StoreReader;
  nodes: StoreReader;
}

export type PodGCClient = Pick<RestClient, 'get' | 'patch' | 'delete'>;

export interface PodGCOptions {
  clock?: Clock;
  /** --terminated-pod-gc-threshold; 0 or less turns that part off. Default 12500. */
  terminatedPodGCThreshold?: number;
  /** How often a pass runs. Default 20. */
  gcCheckPeriodSeconds?: number;
  /** How long a missing node is waited for before its pods go. Default 40. */
  quarantineSeconds?: number;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export class PodGCController {
  readonly #client: PodGCClient;
  readonly #factory?: InformerFactory;
  readonly #caches: PodGCCaches;
  readonly #clock: Clock;
  readonly #queue: WorkQueue<Work>;
  readonly #log: Logger;
  readonly #threshold: number;
  readonly #periodMs: number;
  readonly #quarantineMs: number;
  /** Names of missing nodes → when their quarantine ends (the orphaned-nodes delaying queue). */
  readonly #quarantine = new Map<string, number>();

  constructor(
    client: PodGCClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | PodGCCaches,
    log: Logger,
    opts: PodGCOptions = {},
  ) {
    this.#client = client;
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#queue = new WorkQueue<Work>({ clock: this.#clock });
    this.#threshold = opts.terminatedPodGCThreshold ?? 12500;
    this.#periodMs = (opts.gcCheckPeriodSeconds ?? 20) * 1000;
    this.#quarantineMs = (opts.quarantineSeconds ?? 40) * 1000;
    if ('informerFor' in factory) {
      this.#factory = factory;
      // No handlers: the collector looks at the caches on its own schedule.
      this.#caches = {
        pods: factory.informerFor(PODS).store,
        nodes: factory.informerFor(NODES).store,
      };
    } else {
      this.#caches = factory;
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers: 1,
      reconcile: (item) => this.reconcile(item),
      log: this.#log,
      name: 'pod-gc',
      started: () => this.#queue.add('gc'),
    });
  }

  /** One pass; exported for tests, which call it with seeded caches. */
  async reconcile(_item: Work): Promise<ReconcileResult> {
    const pods = this.#caches.pods.list();
    const nodes = this.#caches.nodes.list();
    if (this.#threshold > 0) await this.#gcTerminated(pods);
    await this.#gcTerminating(pods);
    await this.#gcOrphaned(pods, nodes);
    await this.#gcUnscheduledTerminating(pods);
    return { requeueAfterMs: this.#periodMs };
  }

  async #gcTerminated(pods: KubeObject[]): Promise<void> {
    const terminated = pods.filter((p) => ['Succeeded', 'Failed'].includes(phaseOf(p)));
    const excess = terminated.length - this.#threshold;
    if (excess <= 0) return;
    this.#log.info({ count: excess }, `pod-gc: deleting ${excess} terminated pods`);
    await this.#deleteAll(terminated.sort(byEvictionAndCreation).slice(0, excess));
  }

  async #gcTerminating(pods: KubeObject[]): Promise<void> {
    const doomed = pods.filter((pod) => {
      if (!pod.metadata?.deletionTimestamp) return false;
      const node = this.#caches.nodes.get(nodeNameOf(pod));
      if (!node) return false;
      return !isNodeReady(node) && nodeTaints(node).some((t) => t.key === TAINT_OUT_OF_SERVICE);
    });
    await this.#deleteAll(doomed.sort(byEvictionAndCreation));
  }

  async #gcOrphaned(pods: KubeObject[], nodes: KubeObject[]): Promise<void> {
    const now = this.#clock.now();
    const existing = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const pod of pods) {
      const nodeName = nodeNameOf(pod);
      if (nodeName && !existing.has(nodeName) && !this.#quarantine.has(nodeName)) {
        this.#quarantine.set(nodeName, now + this.#quarantineMs);
      }
    }
    // Names out of quarantine: still missing from the cache, and the API confirms it?
    const deleted = new Set<string>();
    for (const [nodeName, until] of this.#quarantine) {
      if (until > now) continue;
      this.#quarantine.delete(nodeName);
      if (existing.has(nodeName)) continue;
      try {
        await this.#client.get(NODES, '', nodeName);
      } catch (err) {
        if (isNotFound(err)) deleted.add(nodeName);
        // Otherwise the name is quarantined again by a later pass if still needed.
        else this.#log.warn({ err, node: nodeName }, `pod-gc: could not look up node ${nodeName}`);
      }
    }
    const orphans = pods.filter((pod) => deleted.has(nodeNameOf(pod)));
    await this.#deleteAll(orphans, {
      type: DISRUPTION_TARGET,
      status: 'True',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
  }

  async #gcUnscheduledTerminating(pods: KubeObject[]): Promise<void> {
    await this.#deleteAll(pods.filter((p) => p.metadata?.deletionTimestamp && !nodeNameOf(p)));
  }

  async #deleteAll(pods: KubeObject[], condition?: Condition): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < pods.length) {
        const pod = pods[next++]!;
        try {
          await this.#markFailedAndDelete(pod, condition);
        } catch (err) {
          const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
          this.#log.warn({ err, pod: key }, `pod-gc: could not delete pod ${key}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, pods.length) }, worker));
  }

  /**
   * markFailedAndDeletePodWithCondition: a pod not yet finished is set Failed (with
   * `condition`) first, as no agent will do it, then deleted with grace 0.
   */
  async #markFailedAndDelete(pod: KubeObject, condition?: Condition): Promise<void> {
    const { namespace = '', name = '', uid } = pod.metadata ?? {};
    this.#log.info({ pod: `${namespace}/${name}` }, 'pod-gc: force deleting pod');
    try {
      const phase = phaseOf(pod);
      if (phase !== 'Succeeded' && phase !== 'Failed') {
        const updated = condition ? withPodCondition(pod, condition, this.#clock.now()) : undefined;
        const conditions = (updated?.status as { conditions?: Condition[] } | undefined)
          ?.conditions;
        const changed = conditions?.find((c) => c.type === condition?.type);
        // A strategic merge patch merges conditions by type; the uid pins the pod read.
        await this.#client.patch(
          PODS,
          namespace,
          name,
          {
            metadata: { uid },
            status: { phase: 'Failed', ...(changed ? { conditions: [changed] } : {}) },
          },
          'strategic',
          { subresource: 'status', fieldManager: FIELD_MANAGER },
        );
      }
      await this.#client.delete(PODS, namespace, name, { gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

function phaseOf(pod: KubeObject): string {
  return (pod.status as { phase?: string } | undefined)?.phase ?? '';
}

function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
}

/** byEvictionAndCreationTimestamp: evicted pods first, then oldest, then by name. */
function byEvictionAndCreation(a: KubeObject, b: KubeObject): number {
  const evicted = (p: KubeObject) =>
    phaseOf(p) === 'Failed' && (p.status as { reason?: string } | undefined)?.reason === 'Evicted';
  if (evicted(a) !== evicted(b)) return evicted(a) ? -1 : 1;
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const [na, nb] = [a.metadata?.name ?? '', b.metadata?.name ?? ''];
  return na < nb ? -1 : na > nb ? 1 : 0;
}
