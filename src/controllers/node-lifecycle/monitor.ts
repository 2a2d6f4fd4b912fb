import type { KubeObject } from '../../api/index.ts';
import { isNotFound, type Clock, type Logger } from '../../client/index.ts';
import {
  afterUnknownWritten,
  observeNodeHealth,
  type HealthObservation,
  type HealthTimings,
  type NodeHealth,
} from './health.ts';
import {
  NODE_LEASE_NAMESPACE,
  NODES,
  NOT_READY_NO_EXECUTE,
  nodeCondition,
  nodeTaints,
  swapNodeTaints,
  taintExists,
  UNREACHABLE_NO_EXECUTE,
  type NodeCondition,
  type Taint,
} from './node-api.ts';
import { markPodsNotReady, PODS_BY_NODE, type EventSink } from './pods.ts';
import { ZoneTainters, type EvictionRates } from './zone-tainters.ts';
import { LABEL_EXCLUDE_DISRUPTION, zoneKey, type TryResult } from './zones.ts';
import type { NodeLifecycleCaches, NodeLifecycleClient } from './controller.ts';

// The health half of the node lifecycle controller: monitorNodeHealth (is every node still
// heard from? if not, its conditions go Unknown and its pods not Ready) and the NoExecute
// tainting it drives, zone by zone at the zones' rates. The controller runs `pass` every
// nodeMonitorPeriod and `taintPass` whenever a node was queued for tainting.

export const FIELD_MANAGER = 'node-controller';
/** NodeHealthUpdateRetry. */
const HEALTH_UPDATE_ATTEMPTS = 5;
/** How many nodes one pass looks at concurrently (nodeUpdateWorkerSize). */
const NODE_UPDATE_CONCURRENCY = 8;
/** How soon a node whose Ready condition is missing is looked at again for tainting. */
const MISSING_CONDITION_RETRY_MS = 50;

export interface MonitorDeps {
  client: NodeLifecycleClient;
  caches: NodeLifecycleCaches;
  clock: Clock;
  log: Logger;
  events: EventSink;
  timings: HealthTimings;
  rates: EvictionRates;
  /** Called when a node joined a taint queue (or a rate went up): run a taint pass. */
  onTaintQueued: () => void;
}

export class NodeHealthMonitor {
  readonly #client: NodeLifecycleClient;
  readonly #caches: NodeLifecycleCaches;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #events: EventSink;
  readonly #timings: HealthTimings;
  readonly #zones: ZoneTainters;
  readonly #onTaintQueued: () => void;
  /** Last health seen per node (nodeHealthMap). */
  readonly #health = new Map<string, NodeHealth>();
  /** Nodes seen by earlier passes (knownNodeSet). */
  readonly #known = new Map<string, KubeObject>();
  /** Nodes whose pods could not all be marked not Ready. */
  readonly #nodesToRetry = new Set<string>();

  constructor(deps: MonitorDeps) {
    this.#client = deps.client;
    this.#caches = deps.caches;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#events = deps.events;
    this.#timings = deps.timings;
    this.#zones = new ZoneTainters(deps.rates);
    this.#onTaintQueued = deps.onTaintQueued;
  }

  /** The node's Ready condition as last seen; undefined when the node was not looked at yet. */
  lastReady(nodeName: string): NodeCondition | null | undefined {
    const health = this.#health.get(nodeName);
    if (!health) return undefined;
    return health.conditions.find((c) => c.type === 'Ready') ?? null;
  }

  /** The node was deleted: no retry of its pods. */
  forget(nodeName: string): void {
    this.#nodesToRetry.delete(nodeName);
  }

  /** monitorNodeHealth: one look at every node. */
  async pass(): Promise<void> {
    const nodes = this.#caches.nodes.list();
    const present = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      this.#zones.queueFor(node, this.#clock.now());
      if (this.#known.has(name)) continue;
      this.#nodeEvent(node, 'RegisteredNode', `Registered Node ${name} in Controller`);
      this.#known.set(name, node);
      await this.#markNodeAsReachable(node).catch((err: unknown) =>
        this.#log.warn(
          { err, node: name },
          `node-lifecycle: could not lift the NoExecute taints of node ${name}`,
        ),
      );
    }
    for (const [name, node] of this.#known) {
      if (present.has(name)) continue;
      this.#nodeEvent(node, 'RemovingNode', `Removing Node ${name} from Controller`);
      this.#known.delete(name);
      this.#health.delete(name);
    }

    const readyByZone = new Map<string, (NodeCondition | undefined)[]>();
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) await this.#updateNode(nodes[next++]!, readyByZone);
    };
    await Promise.all(Array.from({ length: NODE_UPDATE_CONCURRENCY }, worker));
    await this.#handleDisruption(readyByZone, nodes);
  }

  async #updateNode(
    cached: KubeObject,
    readyByZone: Map<string, (NodeCondition | undefined)[]>,
  ): Promise<void> {
    const name = cached.metadata?.name ?? '';
    // The cached node is shared: the health check changes a copy.
    let node = structuredClone(cached);
    let seen: HealthObservation | undefined;
    for (let attempt = 1; attempt <= HEALTH_UPDATE_ATTEMPTS && !seen; attempt++) {
      try {
        seen = await this.#tryUpdateNodeHealth(node);
      } catch (err) {
        this.#log.warn(
          { err, node: name },
          `node-lifecycle: could not update the status of node ${name}`,
        );
        try {
          node = await this.#client.get(NODES, '', name);
        } catch (getErr) {
          if (!isNotFound(getErr))
            this.#log.warn(
              { err: getErr, node: name },
              `node-lifecycle: could not read node ${name}`,
            );
          return;
        }
      }
    }
    if (!seen) {
      this.#log.error(
        { node: name },
        `node-lifecycle: giving up on the health of node ${name} this pass; no pods will be evicted`,
      );
      return;
    }
    if (!(LABEL_EXCLUDE_DISRUPTION in (node.metadata?.labels ?? {}))) {
      const zone = zoneKey(node);
      readyByZone.set(zone, [...(readyByZone.get(zone) ?? []), seen.currentReady]);
    }
    if (seen.currentReady) {
      const { observedReady, currentReady } = seen;
      await this.#processTaintBasedEviction(node, observedReady);
      const becameNotReady = currentReady.status !== 'True' && observedReady.status === 'True';
      if (becameNotReady) {
        this.#nodeStatusEvent(node, 'NodeNotReady');
      }
      if (becameNotReady || (this.#nodesToRetry.has(name) && observedReady.status !== 'True')) {
        const pods = this.#caches.pods.byIndex(PODS_BY_NODE, name);
        try {
          await markPodsNotReady(
            this.#client,
            this.#events,
            pods,
            name,
            this.#clock.now(),
            FIELD_MANAGER,
          );
        } catch (err) {
          this.#log.warn({ err, node: name }, `node-lifecycle: ${String(err)}; retrying next pass`);
          this.#nodesToRetry.add(name);
          return;
        }
      }
    }
    this.#nodesToRetry.delete(name);
  }

  /** One observation of `node` (a copy), writing Unknown conditions when it has gone silent. */
  async #tryUpdateNodeHealth(node: KubeObject): Promise<HealthObservation> {
    const name = node.metadata?.name ?? '';
    const now = this.#clock.now();
    const lease = this.#caches.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const renewTime = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
    const seen = observeNodeHealth(node, renewTime, this.#health.get(name), now, this.#timings);
    this.#health.set(name, seen.health);
    if (seen.mustWrite) {
      // UpdateStatus with the resourceVersion read: a stale copy fails with Conflict and
      // the caller retries on a fresh read.
      await this.#client.update(NODES, '', name, node, {
        subresource: 'status',
        fieldManager: FIELD_MANAGER,
      });
      this.#health.set(name, afterUnknownWritten(seen.health, node, renewTime, now));
    }
    return seen;
  }

  async #processTaintBasedEviction(node: KubeObject, observedReady: NodeCondition): Promise<void> {
    const name = node.metadata?.name ?? '';
    const taints = nodeTaints(node);
    const swap = async (add: Taint, remove: Taint) => {
      try {
        await swapNodeTaints(this.#client, name, [add], [remove], this.#clock.now(), FIELD_MANAGER);
      } catch (err) {
        this.#log.warn(
          { err, node: name },
          `node-lifecycle: could not swap the taints of node ${name}; trying again next pass`,
        );
      }
    };
    switch (observedReady.status) {
      case 'False':
        // Already tainted unreachable: switch to not-ready at once, without the queue.
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE))
          await swap(NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE);
        else this.#markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE))
          await swap(UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE);
        else this.#markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        await this.#markNodeAsReachable(node).catch((err: unknown) =>
          this.#log.warn(
            { err, node: name },
            `node-lifecycle: could not lift the NoExecute taints of node ${name}`,
          ),
        );
        break;
    }
  }

  #markNodeForTainting(node: KubeObject, status: 'False' | 'Unknown'): void {
    const name = node.metadata?.name ?? '';
    const tainter = this.#zones.queueFor(node, this.#clock.now());
    const wanted = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    // A node whose taint is missing (lifted by hand, say) is queued afresh.
    if (!taintExists(nodeTaints(node), wanted)) tainter.remove(name);
    if (tainter.add(name, node.metadata?.uid ?? '', this.#clock.now())) this.#onTaintQueued();
  }

  /** Lifts both NoExecute taints and forgets the node in its zone's queue. */
  async #markNodeAsReachable(node: KubeObject): Promise<void> {
    const name = node.metadata?.name ?? '';
    const taints = nodeTaints(node);
    if (taintExists(taints, UNREACHABLE_NO_EXECUTE) || taintExists(taints, NOT_READY_NO_EXECUTE)) {
      await swapNodeTaints(
        this.#client,
        name,
        [],
        [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE],
        this.#clock.now(),
        FIELD_MANAGER,
      );
    }
    this.#zones.forget(node);
  }

  /** handleDisruption: zone states set the tainting rates; see ZoneTainters. */
  async #handleDisruption(
    readyByZone: Map<string, (NodeCondition | undefined)[]>,
    nodes: KubeObject[],
  ): Promise<void> {
    const now = this.#clock.now();
    const change = this.#zones.update(readyByZone, now);
    if (change === 'entered-master-disruption') {
      // No node answers: more likely the control plane is cut off than every node dead.
      // Tainting stops, and the NoExecute taints are lifted so nothing is evicted.
      this.#log.warn(
        {},
        'node-lifecycle: all nodes are not Ready; entering master disruption mode',
      );
      for (const node of nodes) {
        await this.#markNodeAsReachable(node).catch((err: unknown) =>
          this.#log.warn(
            { err, node: node.metadata?.name },
            'node-lifecycle: could not lift NoExecute taints',
          ),
        );
      }
      return;
    }
    if (change === 'left-master-disruption') {
      this.#log.warn(
        {},
        'node-lifecycle: some nodes are Ready again; leaving master disruption mode',
      );
      // Every node gets a fresh grace period from now.
      for (const node of nodes) {
        const health = this.#health.get(node.metadata?.name ?? '');
        if (health) Object.assign(health, { probeTimestamp: now, readyTransitionTimestamp: now });
      }
    }
    // A zone whose rate went up may have nodes waiting.
    if (change !== 'unchanged') this.#onTaintQueued();
  }

  // ── taint ─────────────────────────────────────────────────────────────────────────

  /** doNoExecuteTaintingPass; answers when it could next do something, if ever. */
  async taintPass(): Promise<number | undefined> {
    return this.#zones.try(
      () => this.#clock.now(),
      (name) => this.#taintNoExecute(name),
    );
  }

  /** Taints the node for its Ready condition now; unreachable and not-ready exclude each other. */
  async #taintNoExecute(name: string): Promise<TryResult> {
    const node = this.#caches.nodes.get(name);
    if (!node) return { ok: true };
    const ready = nodeCondition(node, 'Ready');
    if (!ready) return { ok: false, retryAfterMs: MISSING_CONDITION_RETRY_MS };
    let add: Taint;
    let remove: Taint;
    if (ready.status === 'False') [add, remove] = [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE];
    else if (ready.status === 'Unknown')
      [add, remove] = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
    else return { ok: true };
    try {
      await swapNodeTaints(this.#client, name, [add], [remove], this.#clock.now(), FIELD_MANAGER);
      return { ok: true };
    } catch (err) {
      if (isNotFound(err)) return { ok: true };
      this.#log.warn(
        { err, node: name },
        `node-lifecycle: could not taint node ${name} ${add.key}:NoExecute`,
      );
      return { ok: false, retryAfterMs: 0 };
    }
  }

  // ── events ────────────────────────────────────────────────────────────────────────

  /** RecordNodeEvent: `Node <name> event: <what>` on the Node. */
  #nodeEvent(node: KubeObject, reason: string, what: string): void {
    this.#events.event(
      nodeRef(node),
      'Normal',
      reason,
      `Node ${node.metadata?.name} event: ${what}`,
    );
  }

  /** RecordNodeStatusChange: `Node <name> status is now: <status>`. */
  #nodeStatusEvent(node: KubeObject, status: string): void {
    this.#events.event(
      nodeRef(node),
      'Normal',
      status,
      `Node ${node.metadata?.name} status is now: ${status}`,
    );
  }
}

function nodeRef(node: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.metadata?.name, uid: node.metadata?.uid },
  };
}
