import type { KubeObject } from '../../api/index.ts';
import type { NodeCondition } from './node-api.ts';
import {
  computeZoneState,
  RateLimitedTimedQueue,
  zoneKey,
  type TryResult,
  type ZoneState,
} from './zones.ts';

// The zones the node lifecycle controller knows, each with its state and its queue of
// nodes to taint NoExecute (zoneStates and zoneNoExecuteTainter of kube's controller),
// and handleDisruption, which sets each queue's rate from the zone's health.

export interface EvictionRates {
  /** --node-eviction-rate. */
  normal: number;
  /** --secondary-node-eviction-rate. */
  secondary: number;
  /** --large-cluster-size-threshold. */
  largeCluster: number;
  /** --unhealthy-zone-threshold. */
  unhealthy: number;
}

/**
 * What a pass of handleDisruption found: every zone fully disrupted just now (stop
 * tainting, lift the taints), some node Ready again after that (every node gets a fresh
 * grace period), some zone's rate changed, or nothing.
 */
export type DisruptionChange =
  'entered-master-disruption' | 'left-master-disruption' | 'changed' | 'unchanged';

export class ZoneTainters {
  readonly #rates: EvictionRates;
  readonly #states = new Map<string, ZoneState>();
  readonly #queues = new Map<string, RateLimitedTimedQueue>();

  constructor(rates: EvictionRates) {
    this.#rates = rates;
  }

  /**
   * addPodEvictorForNewZone: the queue of the node's zone. A zone without a state (new, or
   * dropped because none of its nodes counted) starts over: Initial, a fresh queue at the
   * normal rate, as in Kubernetes.
   */
  queueFor(node: KubeObject, now: number): RateLimitedTimedQueue {
    const zone = zoneKey(node);
    let queue = this.#queues.get(zone);
    if (!this.#states.has(zone) || !queue) {
      this.#states.set(zone, 'Initial');
      queue = new RateLimitedTimedQueue(this.#rates.normal, now);
      this.#queues.set(zone, queue);
    }
    return queue;
  }

  /** Forgets the node in its zone's queue (it is Ready again); answers whether it was there. */
  forget(node: KubeObject): boolean {
    return this.#queues.get(zoneKey(node))?.remove(node.metadata?.name ?? '') ?? false;
  }

  /** handleDisruption: the new zone states from the Ready conditions of their nodes. */
  update(readyByZone: Map<string, (NodeCondition | undefined)[]>, now: number): DisruptionChange {
    const next = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conditions] of readyByZone) {
      const { state } = computeZoneState(conditions, this.#rates.unhealthy);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      next.set(zone, state);
      if (!this.#states.has(zone)) this.#states.set(zone, 'Initial');
    }
    let allWereFullyDisrupted = true;
    for (const [zone, state] of this.#states) {
      if (!readyByZone.has(zone)) {
        this.#states.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') allWereFullyDisrupted = false;
    }
    if (allAreFullyDisrupted && allWereFullyDisrupted) return 'unchanged';

    if (allAreFullyDisrupted) {
      for (const zone of this.#states.keys()) {
        this.#queues.get(zone)?.swapLimiter(0, now);
        this.#states.set(zone, 'FullDisruption');
      }
      return 'entered-master-disruption';
    }
    let changed = false;
    for (const [zone, state] of this.#states) {
      const wanted = next.get(zone)!;
      if (state === wanted && !allWereFullyDisrupted) continue;
      this.#queues.get(zone)?.swapLimiter(this.#rate(wanted, readyByZone.get(zone)!.length), now);
      this.#states.set(zone, wanted);
      changed = true;
    }
    if (allWereFullyDisrupted) return 'left-master-disruption';
    return changed ? 'changed' : 'unchanged';
  }

  /** setLimiterInZone: HealthyQPSFunc for normal and fully disrupted zones, ReducedQPSFunc otherwise. */
  #rate(state: ZoneState, zoneSize: number): number {
    if (state !== 'PartialDisruption') return this.#rates.normal;
    return zoneSize > this.#rates.largeCluster ? this.#rates.secondary : 0;
  }

  /** Runs every zone's queue; answers when the next item could be processed, if ever. */
  async try(
    now: () => number,
    fn: (name: string) => Promise<TryResult>,
  ): Promise<number | undefined> {
    for (const queue of this.#queues.values()) await queue.try(now, fn);
    const t = now();
    const due = [...this.#queues.values()]
      .map((q) => q.nextDue(t))
      .filter((at): at is number => at !== undefined);
    return due.length > 0 ? Math.min(...due) : undefined;
  }
}
