import type { KubeObject } from '../../../api/index.ts';
import {
  pluginError,
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
import { removedPods } from '../helper/index.ts';
import { computeFilterState, evaluate, type FilterState } from './filtering.ts';
import { computeScoreState, normalize, scoreNode, type ScoreState } from './scoring.ts';

// PodTopologySpread: DoNotSchedule constraints filter, ScheduleAnyway constraints (or the
// system default spreading of an owner's pods over zones and hosts) score.

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/** Stored for a pod without constraints of the kind, so that the work is done once. */
const NOTHING = 'nothing';

export class PodTopologySpread implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly weight: number;

  constructor(weight = 2) {
    this.weight = weight;
  }

  #filterState(state: CycleState, pod: KubeObject, snapshot: Snapshot): FilterState | Status {
    let s = state.get(PRE_FILTER_KEY) as FilterState | typeof NOTHING | undefined;
    if (s === undefined) {
      try {
        s = computeFilterState(pod, snapshot) ?? NOTHING;
      } catch (e) {
        return pluginError(`obtaining pod's hard topology spread constraints: ${String(e)}`);
      }
      state.set(PRE_FILTER_KEY, s);
    }
    return s === NOTHING ? SUCCESS : s;
  }

  preFilter(state: CycleState, pod: KubeObject, snapshot: Snapshot): Status {
    const s = this.#filterState(state, pod, snapshot);
    if (state.get(PRE_FILTER_KEY) === NOTHING) return SKIP;
    return 'code' in s ? s : SUCCESS;
  }

  filter(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): Status {
    const s = this.#filterState(state, pod, snapshot);
    if ('code' in s) return s;
    switch (evaluate(s, node, removedPods(node, snapshot))) {
      case 'missing-label':
        return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      case 'skew':
        return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
      default:
        return SUCCESS;
    }
  }

  preScore(state: CycleState, pod: KubeObject, nodes: NodeInfo[], snapshot: Snapshot): Status {
    let s: ScoreState | typeof NOTHING;
    try {
      s = computeScoreState(pod, nodes, snapshot) ?? NOTHING;
    } catch (e) {
      state.set(PRE_SCORE_KEY, NOTHING);
      return pluginError(`obtaining pod's soft topology spread constraints: ${String(e)}`);
    }
    state.set(PRE_SCORE_KEY, s);
    return s === NOTHING ? SKIP : SUCCESS;
  }

  score(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): number {
    if (!state.has(PRE_SCORE_KEY)) this.preScore(state, pod, snapshot.nodes, snapshot);
    const s = state.get(PRE_SCORE_KEY) as ScoreState | typeof NOTHING;
    return s === NOTHING ? 0 : scoreNode(s, node);
  }

  normalizeScore(state: CycleState, _pod: KubeObject, scores: NodeScore[]): void {
    const s = state.get(PRE_SCORE_KEY) as ScoreState | typeof NOTHING | undefined;
    if (s && s !== NOTHING) normalize(s, scores);
  }
}
