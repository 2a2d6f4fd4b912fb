import type { KubeObject } from '../../../api/index.ts';
import {
  defaultNormalizeScore,
  SKIP,
  SUCCESS,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type ScorePlugin,
  type Status,
  type NodeScore,
} from '../../framework/index.ts';
import {
  compileNodeSelectorTerm,
  nodeLabels,
  podSpec,
  RequiredNodeAffinity,
  termMatches,
  type CompiledTerm,
} from '../helper/index.ts';

// NodeAffinity: `spec.nodeSelector` and the required node affinity terms must match the
// node (UnschedulableAndUnresolvable otherwise); preferred terms add their weight to the
// score of every node they match, normalized so the best node gets MAX_NODE_SCORE.
//
// kube-scheduler's PreFilter narrows the nodes to those named by `matchFields`
// `metadata.name` In terms (DaemonSet pods use them) and reports every other node as
// `node(s) didn't satisfy plugin(s) [NodeAffinity]` without filtering it. The framework
// here has no such narrowing, so Filter gives those nodes that reason itself.

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';
export const ERR_REASON_NOT_NAMED = `node(s) didn't satisfy plugin(s) [${NAME}]`;

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

interface PreFilterState {
  /** Undefined when the pod constrains no node: Filter has nothing to do. */
  required: RequiredNodeAffinity | undefined;
  /** The only nodes worth filtering, when every required term names nodes. */
  nodeNames: Set<string> | undefined;
}

interface WeightedTerm {
  term: CompiledTerm;
  weight: number;
}

/**
 * The node names the required terms allow, as PreFilter computes them: each term's
 * `metadata.name` In values intersected; undefined as soon as one term names none.
 */
export function requiredNodeNames(pod: KubeObject): Set<string> | undefined {
  const terms =
    podSpec(pod).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return undefined;
  const names = new Set<string>();
  for (const t of terms) {
    let termNames: Set<string> | undefined;
    for (const f of t.matchFields ?? []) {
      if (f.key !== 'metadata.name' || f.operator !== 'In') continue;
      const values = new Set(f.values ?? []);
      termNames = termNames ? new Set([...termNames].filter((n) => values.has(n))) : values;
    }
    if (!termNames) return undefined;
    for (const n of termNames) names.add(n);
  }
  return names;
}

function preFilterState(pod: KubeObject): PreFilterState {
  const required = new RequiredNodeAffinity(pod);
  return {
    required: required.isEmpty ? undefined : required,
    nodeNames: requiredNodeNames(pod),
  };
}

function preferredTerms(pod: KubeObject): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  const preferred =
    podSpec(pod).affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  for (const p of preferred) {
    if (!p.weight) continue;
    const term = compileNodeSelectorTerm(p.preference ?? {});
    if (term) out.push({ term, weight: p.weight });
  }
  return out;
}

export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly weight: number;

  constructor(weight = 2) {
    this.weight = weight;
  }

  preFilter(state: CycleState, pod: KubeObject): Status {
    const s = preFilterState(pod);
    state.set(PRE_FILTER_KEY, s);
    if (s.nodeNames && s.nodeNames.size === 0) return unresolvable(ERR_REASON_CONFLICT);
    return s.required || s.nodeNames ? SUCCESS : SKIP;
  }

  filter(state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    let s = state.get(PRE_FILTER_KEY) as PreFilterState | undefined;
    if (!s) {
      s = preFilterState(pod);
      state.set(PRE_FILTER_KEY, s);
    }
    if (s.nodeNames && !s.nodeNames.has(node.name)) return unresolvable(ERR_REASON_NOT_NAMED);
    if (s.required && !s.required.matches(node)) return unresolvable(ERR_REASON_POD);
    return SUCCESS;
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    const terms = preferredTerms(pod);
    state.set(PRE_SCORE_KEY, terms);
    return terms.length === 0 ? SKIP : SUCCESS;
  }

  /** The sum of the weights of the preferred terms the node matches. */
  score(state: CycleState, pod: KubeObject, node: NodeInfo): number {
    let terms = state.get(PRE_SCORE_KEY) as WeightedTerm[] | undefined;
    if (!terms) {
      terms = preferredTerms(pod);
      state.set(PRE_SCORE_KEY, terms);
    }
    if (terms.length === 0) return 0;
    const labels = nodeLabels(node);
    let score = 0;
    for (const t of terms) if (termMatches(t.term, labels, node.name)) score += t.weight;
    return score;
  }

  normalizeScore(_state: CycleState, _pod: KubeObject, scores: NodeScore[]): void {
    defaultNormalizeScore(scores);
  }
}
