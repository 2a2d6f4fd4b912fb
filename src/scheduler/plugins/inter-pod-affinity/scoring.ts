import type { KubeObject } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE,
  type NamespaceLabels,
  type NodeInfo,
  type NodeScore,
  type PodInfo,
  type Snapshot,
} from '../../framework/index.ts';
import { countMatching, hasLabel, nodeLabels, type PodMatcher } from '../helper/index.ts';
import {
  nodeOf,
  podAffinityInfo,
  termMatcher,
  termMatchesPod,
  TopologyCounts,
  type WeightedAffinityTerm,
} from './terms.ts';

// InterPodAffinity's scoring half, after scoring.go: every existing pod adds, at its
// node's topology value, the weights of the incoming pod's preferred terms it matches
// (anti-affinity subtracts), and the weights of its own terms the incoming pod matches
// (required affinity counting HardPodAffinityWeight, 1). A node scores the sum over its
// topology values; scores are then scaled min..max to 0..MAX_NODE_SCORE.

export const HARD_POD_AFFINITY_WEIGHT = 1;

export interface ScoreState {
  /** Undefined when no term applies anywhere: every node scores 0. */
  topology: TopologyCounts | undefined;
}

function addTerms(
  topology: TopologyCounts,
  terms: WeightedAffinityTerm[],
  pod: KubeObject,
  labels: Record<string, string>,
  sign: number,
  namespaces: NamespaceLabels,
): void {
  for (const t of terms) {
    if (hasLabel(labels, t.topologyKey) && termMatchesPod(t, pod, namespaces)) {
      topology.add(t.topologyKey, labels[t.topologyKey]!, t.weight * sign);
    }
  }
}

/** The incoming pod's preferred terms against every pod of the node, counted at once. */
function addIncomingTerms(
  topology: TopologyCounts,
  terms: WeightedAffinityTerm[],
  matchers: PodMatcher[],
  node: NodeInfo,
  sign: number,
): void {
  const labels = nodeLabels(node);
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    if (!hasLabel(labels, t.topologyKey)) continue;
    const n = countMatching(node, matchers[i]!);
    if (n > 0) topology.add(t.topologyKey, labels[t.topologyKey]!, t.weight * sign * n);
  }
}

/** An existing pod's own terms, towards the incoming pod. */
function addExistingPodTerms(
  topology: TopologyCounts,
  incoming: KubeObject,
  existing: PodInfo,
  node: NodeInfo,
  namespaces: NamespaceLabels,
): void {
  const labels = nodeLabels(node);
  const theirs = podAffinityInfo(existing.pod);
  for (const t of theirs.requiredAffinity) {
    if (hasLabel(labels, t.topologyKey) && termMatchesPod(t, incoming, namespaces)) {
      topology.add(t.topologyKey, labels[t.topologyKey]!, HARD_POD_AFFINITY_WEIGHT);
    }
  }
  addTerms(topology, theirs.preferredAffinity, incoming, labels, 1, namespaces);
  addTerms(topology, theirs.preferredAntiAffinity, incoming, labels, -1, namespaces);
}

export function computeScoreState(pod: KubeObject, snapshot: Snapshot): ScoreState {
  const info = podAffinityInfo(pod);
  const topology = new TopologyCounts();
  const hasPreferred = info.preferredAffinity.length > 0 || info.preferredAntiAffinity.length > 0;
  if (hasPreferred) {
    const affinity = info.preferredAffinity.map((t) => termMatcher(t, snapshot.namespaces));
    const anti = info.preferredAntiAffinity.map((t) => termMatcher(t, snapshot.namespaces));
    for (const node of snapshot.nodes) {
      addIncomingTerms(topology, info.preferredAffinity, affinity, node, 1);
      addIncomingTerms(topology, info.preferredAntiAffinity, anti, node, -1);
    }
  }
  // Only pods with terms of their own have terms towards the incoming pod.
  for (const p of snapshot.podsWithAffinity) {
    const node = nodeOf(p, snapshot);
    if (node) addExistingPodTerms(topology, pod, p, node, snapshot.namespaces);
  }
  return { topology: topology.byKey.size > 0 ? topology : undefined };
}

export function scoreNode(s: ScoreState, node: NodeInfo): number {
  if (!s.topology) return 0;
  const labels = nodeLabels(node);
  let score = 0;
  for (const [key, values] of s.topology.byKey) {
    if (hasLabel(labels, key)) score += values.get(labels[key]!) ?? 0;
  }
  return score;
}

export function normalize(s: ScoreState, scores: NodeScore[]): void {
  if (!s.topology) return;
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of scores) {
    if (score > max) max = score;
    if (score < min) min = score;
  }
  const diff = max - min;
  for (const ns of scores) {
    ns.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((ns.score - min) / diff)) : 0;
  }
}
