import type { KubeObject } from '../../../api/index.ts';
import type { NodeInfo, PodInfo, Resources } from '../../framework/index.ts';

// How many pods on a node a selector matches, remembered across scheduling cycles: the
// replicas of one workload ask the same question of every node, pod after pod, and most
// nodes do not change in between. The scheduler cache updates a NodeInfo in place (pushes
// onto `pods`, replaces `requested` on every add and remove), so a count is reused only
// while the pod list and the requested sum are the very same objects.

export interface PodMatcher {
  /** Identifies the question: equal keys must mean equal `matches`. */
  readonly key: string;
  matches(pod: KubeObject): boolean;
}

interface Entry {
  pods: PodInfo[];
  count: number;
  requested: Resources;
  matches: number;
}

/** Distinct questions remembered before starting afresh (a bound on memory). */
const MAX_KEYS = 1024;

const byKey = new Map<string, WeakMap<NodeInfo, Entry>>();

export function countMatching(node: NodeInfo, m: PodMatcher): number {
  let cache = byKey.get(m.key);
  if (!cache) {
    if (byKey.size >= MAX_KEYS) byKey.clear();
    cache = new WeakMap();
    byKey.set(m.key, cache);
  }
  const e = cache.get(node);
  if (e && e.pods === node.pods && e.count === node.pods.length && e.requested === node.requested) {
    return e.matches;
  }
  let n = 0;
  for (const p of node.pods) if (m.matches(p.pod)) n++;
  cache.set(node, {
    pods: node.pods,
    count: node.pods.length,
    requested: node.requested,
    matches: n,
  });
  return n;
}
