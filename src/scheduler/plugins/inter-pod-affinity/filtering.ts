import type { KubeObject } from '../../../api/index.ts';
import type { NamespaceLabels, PodInfo, Snapshot } from '../../framework/index.ts';
import { countMatching, hasLabel, nodeLabels } from '../helper/index.ts';
import {
  allTermsMatcher,
  nodeOf,
  podAffinityInfo,
  podMatchesAllTerms,
  termMatcher,
  termMatchesPod,
  TopologyCounts,
  type PodAffinityInfo,
} from './terms.ts';

// InterPodAffinity's filtering half, after filtering.go: PreFilter counts, per topology
// pair, (1) existing pods whose required anti-affinity selects the incoming pod, (2)
// existing pods matching all of the incoming pod's required affinity terms, (3) existing
// pods matching each of its required anti-affinity terms. Filter then only looks up the
// node's own topology values.

export interface FilterState {
  info: PodAffinityInfo;
  namespaces: NamespaceLabels;
  existingAntiAffinity: TopologyCounts;
  affinity: TopologyCounts;
  antiAffinity: TopologyCounts;
  /** The pod matches its own affinity terms (it may start a group). */
  matchesOwnAffinity: boolean;
  /** Nothing to check for this pod. */
  skip: boolean;
}

export function computeFilterState(pod: KubeObject, snapshot: Snapshot): FilterState {
  const info = podAffinityInfo(pod);
  const namespaces = snapshot.namespaces;
  const existingAntiAffinity = new TopologyCounts();
  for (const p of snapshot.podsWithAffinity) {
    const terms = podAffinityInfo(p.pod).requiredAntiAffinity;
    if (terms.length === 0) continue;
    const node = nodeOf(p, snapshot);
    if (!node) continue;
    const labels = nodeLabels(node);
    for (const t of terms) {
      if (termMatchesPod(t, pod, namespaces)) {
        existingAntiAffinity.addForNode(labels, t.topologyKey, 1);
      }
    }
  }
  const affinity = new TopologyCounts();
  const antiAffinity = new TopologyCounts();
  const hasRequired = info.requiredAffinity.length > 0 || info.requiredAntiAffinity.length > 0;
  if (hasRequired) {
    const all =
      info.requiredAffinity.length > 0 ? allTermsMatcher(info.requiredAffinity, namespaces) : null;
    const each = info.requiredAntiAffinity.map((t) => termMatcher(t, namespaces));
    for (const node of snapshot.nodes) {
      const labels = nodeLabels(node);
      const n = all ? countMatching(node, all) : 0;
      if (n > 0) {
        for (const t of info.requiredAffinity) affinity.addForNode(labels, t.topologyKey, n);
      }
      for (let i = 0; i < each.length; i++) {
        const key = info.requiredAntiAffinity[i]!.topologyKey;
        if (!hasLabel(labels, key)) continue;
        const m = countMatching(node, each[i]!);
        if (m > 0) antiAffinity.add(key, labels[key]!, m);
      }
    }
  }
  return {
    info,
    namespaces,
    existingAntiAffinity,
    affinity,
    antiAffinity,
    matchesOwnAffinity: podMatchesAllTerms(info.requiredAffinity, pod, namespaces),
    skip: existingAntiAffinity.size === 0 && !hasRequired,
  };
}

function countIncomingTerms(
  s: FilterState,
  existing: PodInfo,
  labels: Record<string, string>,
  affinity: TopologyCounts,
  antiAffinity: TopologyCounts,
  n: number,
): void {
  const { info, namespaces } = s;
  if (podMatchesAllTerms(info.requiredAffinity, existing.pod, namespaces)) {
    for (const t of info.requiredAffinity) affinity.addForNode(labels, t.topologyKey, n);
  }
  for (const t of info.requiredAntiAffinity) {
    if (termMatchesPod(t, existing.pod, namespaces)) {
      antiAffinity.addForNode(labels, t.topologyKey, n);
    }
  }
}

/**
 * The counts as they would be without `removed` (pods preemption took off this node),
 * as kube-scheduler's RemovePod updates them. Only the node's own pairs change.
 */
export function withoutPods(
  s: FilterState,
  pod: KubeObject,
  labels: Record<string, string>,
  removed: readonly PodInfo[],
): FilterState {
  const copy = (c: TopologyCounts) => {
    const out = new TopologyCounts();
    for (const [k, values] of c.byKey) for (const [v, n] of values) out.add(k, v, n);
    return out;
  };
  const affinity = copy(s.affinity);
  const antiAffinity = copy(s.antiAffinity);
  const existingAntiAffinity = copy(s.existingAntiAffinity);
  for (const p of removed) {
    countIncomingTerms(s, p, labels, affinity, antiAffinity, -1);
    for (const t of podAffinityInfo(p.pod).requiredAntiAffinity) {
      if (termMatchesPod(t, pod, s.namespaces)) {
        existingAntiAffinity.addForNode(labels, t.topologyKey, -1);
      }
    }
  }
  return { ...s, affinity, antiAffinity, existingAntiAffinity };
}

/** Every affinity topology is on the node and holds a matching pod (or the pod is first). */
export function satisfiesPodAffinity(s: FilterState, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.info.requiredAffinity) {
    if (!hasLabel(labels, t.topologyKey)) return false;
    if (s.affinity.get(t.topologyKey, labels[t.topologyKey]!) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first of a group of pods with affinity to each other may go anywhere its
  // topology keys exist, as long as no pod anywhere matches the terms yet.
  return s.affinity.size === 0 && s.matchesOwnAffinity;
}

export function satisfiesPodAntiAffinity(s: FilterState, labels: Record<string, string>): boolean {
  if (s.antiAffinity.size === 0) return true;
  for (const t of s.info.requiredAntiAffinity) {
    if (!hasLabel(labels, t.topologyKey)) continue;
    if (s.antiAffinity.get(t.topologyKey, labels[t.topologyKey]!) > 0) return false;
  }
  return true;
}

export function satisfiesExistingPodsAntiAffinity(
  s: FilterState,
  labels: Record<string, string>,
): boolean {
  if (s.existingAntiAffinity.size === 0) return true;
  for (const [key, values] of s.existingAntiAffinity.byKey) {
    if (hasLabel(labels, key) && (values.get(labels[key]!) ?? 0) > 0) return false;
  }
  return true;
}
