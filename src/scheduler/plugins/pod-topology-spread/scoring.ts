import type { KubeObject } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE,
  type NodeInfo,
  type NodeScore,
  type Snapshot,
} from '../../framework/index.ts';
import { hasLabel, nodeLabels, podSpec } from '../helper/index.ts';
import {
  countOnNode,
  hasAllTopologyKeys,
  inclusionContext,
  LABEL_HOSTNAME,
  nodeIncluded,
  podConstraints,
  type Constraint,
} from './common.ts';

// PodTopologySpread's scoring half (ScheduleAnyway and the system defaults), after
// scoring.go: a node's raw score is, over the constraints whose key it has,
//   (matching pods in its domain) * log(domains + 2) + (maxSkew - 1),
// rounded; fewer is better, so NormalizeScore maps it to
//   MAX_NODE_SCORE * (max + min - score) / max.
// With explicit constraints, nodes lacking a topology key are ignored (score 0); with the
// system defaults they are not, so nodes without a zone label still spread by hostname.

export interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  /** Per constraint (hostname ones stay empty: counted per node in Score). */
  counts: Map<string, number>[];
  weights: number[];
}

/** Undefined when the pod has nothing to spread against. Throws on a bad selector. */
export function computeScoreState(
  pod: KubeObject,
  filtered: readonly NodeInfo[],
  snapshot: Snapshot,
): ScoreState | undefined {
  const constraints = podConstraints(pod, 'ScheduleAnyway');
  if (constraints.length === 0 || snapshot.nodes.length === 0) return undefined;
  const requireAllTopologies = (podSpec(pod).topologySpreadConstraints ?? []).length > 0;
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  const sizes = constraints.map(() => 0);
  for (const node of filtered) {
    const labels = nodeLabels(node);
    if (requireAllTopologies && !hasAllTopologyKeys(labels, constraints)) {
      ignored.add(node.name);
      continue;
    }
    for (let i = 0; i < constraints.length; i++) {
      const key = constraints[i]!.topologyKey;
      if (key === LABEL_HOSTNAME) continue;
      const value = labels[key] ?? '';
      if (!counts[i]!.has(value)) {
        counts[i]!.set(value, 0);
        sizes[i]!++;
      }
    }
  }
  const weights = constraints.map((c, i) =>
    Math.log((c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : sizes[i]!) + 2),
  );
  const inclusion = inclusionContext(pod);
  // Hostname domains are counted per node in Score; the rest over every node, here.
  const domainWide = constraints.filter((c) => c.topologyKey !== LABEL_HOSTNAME);
  const domainCounts = domainWide.map((c) => counts[constraints.indexOf(c)]!);
  const checkInclusion = domainWide.map(
    (c) => (c.honorNodeAffinity && inclusion.required !== undefined) || c.honorTaints,
  );
  if (domainWide.length > 0) {
    for (const node of snapshot.nodes) {
      const labels = nodeLabels(node);
      if (requireAllTopologies && !hasAllTopologyKeys(labels, constraints)) continue;
      for (let i = 0; i < domainWide.length; i++) {
        const c = domainWide[i]!;
        const m = domainCounts[i]!;
        const before = m.get(labels[c.topologyKey] ?? '');
        // Only domains of candidate nodes matter.
        if (before === undefined) continue;
        if (checkInclusion[i] && !nodeIncluded(c, node, inclusion)) continue;
        m.set(labels[c.topologyKey] ?? '', before + countOnNode(c, node));
      }
    }
  }
  return { constraints, ignored, counts, weights };
}

export function scoreNode(s: ScoreState, node: NodeInfo): number {
  if (s.ignored.has(node.name)) return 0;
  const labels = nodeLabels(node);
  let score = 0;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i]!;
    if (!hasLabel(labels, c.topologyKey)) continue;
    const count =
      c.topologyKey === LABEL_HOSTNAME
        ? countOnNode(c, node)
        : (s.counts[i]!.get(labels[c.topologyKey]!) ?? 0);
    score += count * s.weights[i]! + (c.maxSkew - 1);
  }
  return Math.round(score);
}

export function normalize(s: ScoreState, scores: NodeScore[]): void {
  let min = Infinity;
  let max = 0;
  for (const { name, score } of scores) {
    if (s.ignored.has(name)) continue;
    if (score < min) min = score;
    if (score > max) max = score;
  }
  for (const ns of scores) {
    if (s.ignored.has(ns.name)) ns.score = 0;
    else if (max === 0) ns.score = MAX_NODE_SCORE;
    else ns.score = Math.floor((MAX_NODE_SCORE * (max + min - ns.score)) / max);
  }
}
