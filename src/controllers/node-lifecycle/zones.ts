import type { KubeObject } from '../../api/index.ts';
import type { NodeCondition } from './node-api.ts';

// Zones and the rate at which the node lifecycle controller may taint their nodes
// NoExecute (which is what evicts pods), as kube-controller-manager does it:
//
// - a zone is `region:\0:zone` from the topology labels (nodetopology.GetZoneKey);
// - its state comes from the Ready conditions of its nodes: FullDisruption when none is
//   Ready, PartialDisruption when more than two and at least `unhealthyZoneThreshold` of
//   them are not Ready, Normal otherwise;
// - each zone has a queue of nodes to taint, drained through a token bucket (burst 1) at
//   `nodeEvictionRate` per second; a partially disrupted zone slows to
//   `secondaryNodeEvictionRate` if it is large, or stops; and when every zone is fully
//   disrupted the controller assumes the control plane is the one cut off and stops
//   tainting altogether (and lifts the NoExecute taints it set).
//
// Simplification: kube's queue takes a token on every pass even when its head is not due
// yet; this one takes a token only for an item it is about to process.

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

const LABEL_ZONE = 'topology.kubernetes.io/zone';
const LABEL_REGION = 'topology.kubernetes.io/region';
const LABEL_ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_REGION_BETA = 'failure-domain.beta.kubernetes.io/region';

/** nodetopology.GetZoneKey: '' when the node names neither a region nor a zone. */
export function zoneKey(node: KubeObject): string {
  const labels = node.metadata?.labels ?? {};
  const zone = labels[LABEL_ZONE_BETA] ?? labels[LABEL_ZONE] ?? '';
  const region = labels[LABEL_REGION_BETA] ?? labels[LABEL_REGION] ?? '';
  if (region === '' && zone === '') return '';
  return `${region}:\x00:${zone}`;
}

/** Nodes with this label are left out of the zone's disruption count. */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

/** ComputeZoneState: the number of nodes not Ready, and the zone's state. */
export function computeZoneState(
  readyConditions: readonly (NodeCondition | undefined)[],
  unhealthyZoneThreshold: number,
): { notReady: number; state: ZoneState } {
  let ready = 0;
  let notReady = 0;
  for (const c of readyConditions) {
    if (c?.status === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold) {
    return { notReady, state: 'PartialDisruption' };
  }
  return { notReady, state: 'Normal' };
}

/** A token bucket of burst 1 (flowcontrol.NewTokenBucketRateLimiter); qps 0 never admits. */
export class TokenBucket {
  readonly qps: number;
  #tokens = 1;
  #last: number;

  constructor(qps: number, now: number) {
    this.qps = qps;
    this.#last = now;
    if (qps <= 0) this.#tokens = 0;
  }

  #refill(now: number): void {
    if (this.qps <= 0) return;
    this.#tokens = Math.min(1, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
  }

  tryAccept(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** When the next token is there; Infinity for a bucket that never admits. */
  nextTokenAt(now: number): number {
    if (this.qps <= 0) return Infinity;
    this.#refill(now);
    return this.#tokens >= 1 ? now : now + ((1 - this.#tokens) / this.qps) * 1000;
  }
}

interface Queued {
  uid: string;
  processAt: number;
  seq: number;
  /** False once processed: the name stays (so it is not added again) until removed. */
  queued: boolean;
}

/** What processing one item answers: done, or try again after `retryAfterMs`. */
export type TryResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * scheduler.RateLimitedTimedQueue: node names to process once each, in order of when they
 * are due, each processing taking a token. A name stays known after it was processed, so
 * adding it again does nothing until it is removed (the node became Ready again).
 */
export class RateLimitedTimedQueue {
  #items = new Map<string, Queued>();
  #limiter: TokenBucket;
  #seq = 0;

  constructor(qps: number, now: number) {
    this.#limiter = new TokenBucket(qps, now);
  }

  get qps(): number {
    return this.#limiter.qps;
  }

  /** Answers false if the name is already known. */
  add(name: string, uid: string, now: number): boolean {
    if (this.#items.has(name)) return false;
    this.#items.set(name, { uid, processAt: now, seq: this.#seq++, queued: true });
    return true;
  }

  /** Forgets the name, so it may be added again; answers whether it was known. */
  remove(name: string): boolean {
    return this.#items.delete(name);
  }

  has(name: string): boolean {
    return this.#items.has(name);
  }

  /** SwapLimiter: a new rate; a bucket that was empty leaves the new one empty too. */
  swapLimiter(qps: number, now: number): void {
    if (this.#limiter.qps === qps) return;
    const wasEmpty = !this.#limiter.tryAccept(now);
    this.#limiter = new TokenBucket(qps, now);
    if (qps > 0 && wasEmpty) this.#limiter.tryAccept(now);
  }

  #head(): [string, Queued] | undefined {
    let best: [string, Queued] | undefined;
    for (const entry of this.#items) {
      const q = entry[1];
      if (!q.queued) continue;
      if (
        !best ||
        q.processAt < best[1].processAt ||
        (q.processAt === best[1].processAt && q.seq < best[1].seq)
      ) {
        best = entry;
      }
    }
    return best;
  }

  /**
   * Processes due items in order while the limiter admits them. `fn` may be async; a name
   * removed while it runs is not put back.
   */
  async try(
    now: () => number,
    fn: (name: string, uid: string) => Promise<TryResult>,
  ): Promise<void> {
    for (;;) {
      const head = this.#head();
      if (!head) return;
      const [name, item] = head;
      const t = now();
      if (t < item.processAt) return;
      if (!this.#limiter.tryAccept(t)) return;
      const result = await fn(name, item.uid);
      if (this.#items.get(name) !== item) continue;
      if (result.ok) item.queued = false;
      else item.processAt = now() + result.retryAfterMs + 1;
    }
  }

  /** When `try` could next do something: undefined when nothing waits or the rate is 0. */
  nextDue(now: number): number | undefined {
    const head = this.#head();
    if (!head) return undefined;
    const at = Math.max(head[1].processAt, this.#limiter.nextTokenAt(now));
    return Number.isFinite(at) ? at : undefined;
  }
}
