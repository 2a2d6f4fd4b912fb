import type { KubeObject } from '../../../api/index.ts';
import type { LabelSelector } from '../../../api/selectors/index.ts';
import type { NamespaceLabels, NodeInfo, PodInfo, Snapshot } from '../../framework/index.ts';
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
// own namespace. Otherwise it means the union of the listed names and the namespaces whose
// labels the selector matches; an empty selector ({}) selects every namespace. A
// namespace the scheduler has not seen matches no selector (kube-scheduler resolves
// selectors against the namespaces it lists, so the same holds there).
//
// `matchLabelKeys` / `mismatchLabelKeys` are merged into the selector as the 1.32 API server
// does (key in / notin the pod's own value); merging twice is harmless.

export interface AffinityTerm {
  /** Equal for terms that select the same pods, given the same namespace labels. */
  key: string;
  namespaces: Set<string>;
  /** `namespaceSelector: {}`. */
  anyNamespace: boolean;
  /** A non-empty `namespaceSelector`; null when there is none. */
  namespaceSelector: CompiledSelector;
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
  let namespaceSelector: CompiledSelector = null;
  try {
    namespaceSelector = compileSelector(term.namespaceSelector);
  } catch (e) {
    errors.push((e as Error).message);
  }
  const anyNamespace = namespaceSelector !== null && namespaceSelector.length === 0;
  if (anyNamespace) namespaceSelector = null;
  const names = term.namespaces ?? [];
  const own = names.length === 0 && term.namespaceSelector == null;
  const namespaces = own ? [podNamespace(pod)] : [...names].sort();
  return {
    key: `ipa:${JSON.stringify([anyNamespace ? '*' : namespaces, namespaceSelector, selector])}`,
    namespaces: new Set(namespaces),
    anyNamespace,
    namespaceSelector,
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
export function termMatchesPod(
  term: AffinityTerm,
  pod: KubeObject,
  namespaces: NamespaceLabels,
): boolean {
  if (!term.anyNamespace) {
    const ns = podNamespace(pod);
    if (!term.namespaces.has(ns)) {
      if (term.namespaceSelector === null) return false;
      const labels = namespaces.labelsOf(ns);
      if (!labels || !selects(term.namespaceSelector, labels)) return false;
    }
  }
  return selects(term.selector, podLabels(pod));
}

export function podMatchesAllTerms(
  terms: AffinityTerm[],
  pod: KubeObject,
  namespaces: NamespaceLabels,
): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod, namespaces)) return false;
  return true;
}

/** The key under which countMatching may remember a term's counts. */
function matcherKey(term: AffinityTerm, namespaces: NamespaceLabels): string {
  // What a namespace selector matches changes with the namespaces' labels.
  return term.namespaceSelector === null ? term.key : `${term.key}@${namespaces.generation}`;
}

/** The pods one term selects, for countMatching. */
export function termMatcher(term: AffinityTerm, namespaces: NamespaceLabels): PodMatcher {
  return {
    key: matcherKey(term, namespaces),
    matches: (pod) => termMatchesPod(term, pod, namespaces),
  };
}

/** The pods all the terms select, for countMatching. */
export function allTermsMatcher(terms: AffinityTerm[], namespaces: NamespaceLabels): PodMatcher {
  return {
    key: `all:${terms.map((t) => matcherKey(t, namespaces)).join('|')}`,
    matches: (pod) => podMatchesAllTerms(terms, pod, namespaces),
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
