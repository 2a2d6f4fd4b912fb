import type { KubeObject } from '../../../api/index.ts';
import type { LabelSelector } from '../../../api/selectors/index.ts';
import type { NodeInfo, PodInfo, Snapshot } from '../../framework/index.ts';
import {
  compileSelector,
  hasLabel,
  podLabels,
  podNamespace,
  podSpec,
  selects,
  type CompiledSelector,
  type PodAffinityTerm,
  type PodMatcher,
} from '../helper/index.ts';

// Pod (anti-)affinity terms, compiled once per pod object (framework.PodInfo does the same
// in kube-scheduler).
//
// Namespaces: a term without `namespaces` and without `namespaceSelector` means the pod's
// own namespace; `namespaces` lists names. A `namespaceSelector` needs the Namespace
// objects' labels, which the snapshot does not carry: an empty selector ({}) selects every
// namespace, exactly as in Kubernetes, and a non-empty one is treated the same way (every
// namespace), an approximation.
//
// `matchLabelKeys` / `mismatchLabelKeys` are merged into the selector as the 1.32 API server
// does (key in / notin the pod's own value); merging twice is harmless.

export interface AffinityTerm {
  /** Equal for terms that select the same pods (see countMatching). */
  key: string;
  namespaces: Set<string>;
  anyNamespace: boolean;
  selector: CompiledSelector;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodAffinityInfo {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /** Why a term's selector did not parse (such a term matches nothing). */
  error?: string;
}

function compileTerm(pod: KubeObject, term: PodAffinityTerm, errors: string[]): AffinityTerm {
  let selector: CompiledSelector = null;
  try {
    selector = compileSelector(term.labelSelector);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (selector) {
    const labels = podLabels(pod);
    const extra: LabelSelector = [];
    for (const key of term.matchLabelKeys ?? []) {
      if (hasLabel(labels, key)) extra.push({ key, operator: 'in', values: [labels[key]!] });
    }
    for (const key of term.mismatchLabelKeys ?? []) {
      if (hasLabel(labels, key)) extra.push({ key, operator: 'notin', values: [labels[key]!] });
    }
    if (extra.length > 0) selector = [...selector, ...extra];
  }
  const names = term.namespaces ?? [];
  const own = names.length === 0 && term.namespaceSelector == null;
  const namespaces = own ? [podNamespace(pod)] : [...names].sort();
  const anyNamespace = term.namespaceSelector != null;
  return {
    key: `ipa:${JSON.stringify([anyNamespace ? '*' : namespaces, selector])}`,
    namespaces: new Set(namespaces),
    anyNamespace,
    selector,
    topologyKey: term.topologyKey,
  };
}

function compile(pod: KubeObject): PodAffinityInfo {
  const affinity = podSpec(pod).affinity;
  const errors: string[] = [];
  const terms = (list: PodAffinityTerm[] | undefined) =>
    (list ?? []).map((t) => compileTerm(pod, t, errors));
  const weighted = (list: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
    (list ?? []).map((w) => ({
      ...compileTerm(pod, w.podAffinityTerm, errors),
      weight: w.weight,
    }));
  const info: PodAffinityInfo = {
    requiredAffinity: terms(affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: terms(
      affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    ),
    preferredAffinity: weighted(
      affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    ),
    preferredAntiAffinity: weighted(
      affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    ),
  };
  if (errors.length > 0) info.error = errors.join(', ');
  return info;
}

const cache = new WeakMap<KubeObject, PodAffinityInfo>();

export function podAffinityInfo(pod: KubeObject): PodAffinityInfo {
  let info = cache.get(pod);
  if (!info) {
    info = compile(pod);
    cache.set(pod, info);
  }
  return info;
}

/** AffinityTerm.Matches: the pod is in one of the term's namespaces and selected. */
export function termMatchesPod(term: AffinityTerm, pod: KubeObject): boolean {
  if (!term.anyNamespace && !term.namespaces.has(podNamespace(pod))) return false;
  return selects(term.selector, podLabels(pod));
}

export function podMatchesAllTerms(terms: AffinityTerm[], pod: KubeObject): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod)) return false;
  return true;
}

/** The pods one term selects, for countMatching. */
export function termMatcher(term: AffinityTerm): PodMatcher {
  return { key: term.key, matches: (pod) => termMatchesPod(term, pod) };
}

/** The pods all the terms select, for countMatching. */
export function allTermsMatcher(terms: AffinityTerm[]): PodMatcher {
  return {
    key: `all:${terms.map((t) => t.key).join('|')}`,
    matches: (pod) => podMatchesAllTerms(terms, pod),
  };
}

/** Per topology key, per value: a count or a score. */
export class TopologyCounts {
  readonly byKey = new Map<string, Map<string, number>>();
  /** Pairs with a non-zero count. */
  size = 0;

  add(key: string, value: string, n: number): void {
    let values = this.byKey.get(key);
    if (!values) {
      values = new Map();
      this.byKey.set(key, values);
    }
    const before = values.get(value) ?? 0;
    values.set(value, before + n);
    if (before === 0 && before + n !== 0) this.size++;
    else if (before !== 0 && before + n === 0) this.size--;
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  /** Adds n at the node's value of `key`, when the node has that label. */
  addForNode(labels: Record<string, string>, key: string, n: number): void {
    if (hasLabel(labels, key)) this.add(key, labels[key]!, n);
  }
}

const nodeIndex = new WeakMap<Snapshot, Map<PodInfo, NodeInfo>>();

/** The node an assigned pod is on: by spec.nodeName, else by looking. */
export function nodeOf(p: PodInfo, snapshot: Snapshot): NodeInfo | undefined {
  const name = podSpec(p.pod).nodeName;
  if (name) return snapshot.get(name);
  let index = nodeIndex.get(snapshot);
  if (!index) {
    index = new Map();
    for (const n of snapshot.nodes) for (const q of n.pods) index.set(q, n);
    nodeIndex.set(snapshot, index);
  }
  return index.get(p);
}
