import type { KubeObject } from '../../../api/index.ts';
import type { NodeInfo, PodInfo, Snapshot } from '../../framework/index.ts';
import { hasLabel, nodeLabels, podNamespace } from '../helper/index.ts';
import {
  countOnNode,
  countPods,
  hasAllTopologyKeys,
  inclusionContext,
  nodeIncluded,
  podConstraints,
  selfMatches,
  type Constraint,
  type InclusionContext,
} from './common.ts';

// PodTopologySpread's filtering half (DoNotSchedule), after filtering.go: PreFilter counts
// the matching pods of every domain over all nodes that carry every topology key (and
// pass the inclusion policies); Filter admits a node when
//   pods in its domain + (1 if the pod matches itself) - global minimum <= maxSkew,
// the global minimum being 0 while fewer than minDomains domains exist.

export type Verdict = 'fits' | 'missing-label' | 'skew';

export interface FilterState {
  constraints: Constraint[];
  namespace: string;
  inclusion: InclusionContext;
  /** Per constraint: matching pods per topology value. */
  counts: Map<string, number>[];
  /** Per constraint: the global minimum used in the skew. */
  minMatch: number[];
  /** Per constraint: 1 when the incoming pod matches the selector. */
  self: number[];
}

function globalMinimum(counts: Map<string, number>, minDomains: number): number {
  if (counts.size < minDomains) return 0;
  let min = Infinity;
  for (const n of counts.values()) if (n < min) min = n;
  return min === Infinity ? 0 : min;
}

/** Undefined when the pod has no DoNotSchedule constraints. Throws on a bad selector. */
export function computeFilterState(pod: KubeObject, snapshot: Snapshot): FilterState | undefined {
  const constraints = podConstraints(pod, 'DoNotSchedule');
  if (constraints.length === 0) return undefined;
  const namespace = podNamespace(pod);
  const inclusion = inclusionContext(pod);
  const counts = constraints.map(() => new Map<string, number>());
  for (const node of snapshot.nodes) {
    const labels = nodeLabels(node);
    if (!hasAllTopologyKeys(labels, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!nodeIncluded(c, node, inclusion)) continue;
      const value = labels[c.topologyKey]!;
      counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + countOnNode(c, node));
    }
  }
  return {
    constraints,
    namespace,
    inclusion,
    counts,
    minMatch: constraints.map((c, i) => globalMinimum(counts[i]!, c.minDomains)),
    self: constraints.map((c) => (selfMatches(c, pod) ? 1 : 0)),
  };
}

/**
 * Whether the node keeps every constraint. `removed` are pods preemption took off this
 * node: they leave its domain (and may lower the global minimum), as RemovePod does.
 */
export function evaluate(s: FilterState, node: NodeInfo, removed: readonly PodInfo[]): Verdict {
  const labels = nodeLabels(node);
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    if (!hasLabel(labels, c.topologyKey)) return 'missing-label';
    const counts = s.counts[i]!;
    let matchNum = counts.get(labels[c.topologyKey]!) ?? 0;
    let minMatch = s.minMatch[i]!;
    if (
      removed.length > 0 &&
      hasAllTopologyKeys(labels, s.constraints) &&
      nodeIncluded(c, node, s.inclusion)
    ) {
      matchNum -= countPods(c, removed, s.namespace);
      minMatch = counts.size < c.minDomains ? 0 : Math.min(minMatch, matchNum);
    }
    if (matchNum + s.self[i]! - minMatch > c.maxSkew) return 'skew';
  }
  return 'fits';
}
