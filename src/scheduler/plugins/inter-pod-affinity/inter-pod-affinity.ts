import type { KubeObject } from '../../../api/index.ts';
import {
  SKIP,
  SUCCESS,
  unresolvable,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type ScorePlugin,
  type Snapshot,
  type Status,
  type NodeScore,
} from '../../framework/index.ts';
import { nodeLabels, removedPods } from '../helper/index.ts';
import {
  computeFilterState,
  satisfiesExistingPodsAntiAffinity,
  satisfiesPodAffinity,
  satisfiesPodAntiAffinity,
  withoutPods,
  type FilterState,
} from './filtering.ts';
import { computeScoreState, normalize, scoreNode, type ScoreState } from './scoring.ts';
import { podAffinityInfo } from './terms.ts';

// InterPodAffinity: required pod affinity and anti-affinity of the incoming pod, and the
// required anti-affinity of the pods already placed, by topology domain; preferred terms
// (both ways) as a score.

export const NAME = 'InterPodAffinity';
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly weight: number;

  constructor(weight = 2) {
    this.weight = weight;
  }

  preFilter(state: CycleState, pod: KubeObject, snapshot: Snapshot): Status {
    const error = podAffinityInfo(pod).error;
    if (error) return unresolvable(`parsing pod: ${error}`);
    const s = computeFilterState(pod, snapshot);
    state.set(PRE_FILTER_KEY, s);
    return s.skip ? SKIP : SUCCESS;
  }

  filter(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): Status {
    let s = state.get(PRE_FILTER_KEY) as FilterState | undefined;
    if (!s) {
      s = computeFilterState(pod, snapshot);
      state.set(PRE_FILTER_KEY, s);
    }
    if (s.skip) return SUCCESS;
    const labels = nodeLabels(node);
    const removed = removedPods(node, snapshot);
    if (removed.length > 0) s = withoutPods(s, pod, labels, removed);
    if (!satisfiesPodAffinity(s, labels)) return unresolvable(ERR_REASON_AFFINITY);
    if (!satisfiesPodAntiAffinity(s, labels)) return unschedulable(ERR_REASON_ANTI_AFFINITY);
    if (!satisfiesExistingPodsAntiAffinity(s, labels)) {
      return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return SUCCESS;
  }

  preScore(state: CycleState, pod: KubeObject, _nodes: NodeInfo[], snapshot: Snapshot): Status {
    const s = computeScoreState(pod, snapshot);
    state.set(PRE_SCORE_KEY, s);
    return s.topology ? SUCCESS : SKIP;
  }

  score(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): number {
    let s = state.get(PRE_SCORE_KEY) as ScoreState | undefined;
    if (!s) {
      s = computeScoreState(pod, snapshot);
      state.set(PRE_SCORE_KEY, s);
    }
    return scoreNode(s, node);
  }

  normalizeScore(state: CycleState, _pod: KubeObject, scores: NodeScore[]): void {
    const s = state.get(PRE_SCORE_KEY) as ScoreState | undefined;
    if (s) normalize(s, scores);
  }
}
