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
  findUntoleratedTaint,
  nodeSpec,
  podSpec,
  tolerationsTolerateTaint,
  type Toleration,
} from '../helper/index.ts';

// TaintToleration: a pod may not go where a NoSchedule or NoExecute taint is not
// tolerated; among the rest, nodes with fewer untolerated PreferNoSchedule taints score
// higher (the count, reverse-normalized).

export const NAME = 'TaintToleration';

const PRE_SCORE_KEY = `PreScore${NAME}`;

/** kube-scheduler's text, e.g. `node(s) had untolerated taint {dedicated: db}`. */
export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

/** Tolerations that can tolerate PreferNoSchedule: that effect, or any (empty) effect. */
function preferNoScheduleTolerations(pod: KubeObject): Toleration[] {
  return (podSpec(pod).tolerations ?? []).filter(
    (t) => !t.effect || t.effect === 'PreferNoSchedule',
  );
}

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly weight: number;

  constructor(weight = 3) {
    this.weight = weight;
  }

  filter(_state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    const taints = nodeSpec(node).taints;
    if (!taints || taints.length === 0) return SUCCESS;
    const taint = findUntoleratedTaint(taints, podSpec(pod).tolerations);
    return taint ? unresolvable(untoleratedTaintReason(taint.key, taint.value)) : SUCCESS;
  }

  /**
   * Skip when no candidate has a PreferNoSchedule taint: every node would score the same
   * (100 after the reverse normalization), which ranks nothing.
   */
  preScore(state: CycleState, pod: KubeObject, nodes: NodeInfo[]): Status {
    const anyPreferNoSchedule = nodes.some((n) =>
      nodeSpec(n).taints?.some((t) => t.effect === 'PreferNoSchedule'),
    );
    if (!anyPreferNoSchedule) return SKIP;
    state.set(PRE_SCORE_KEY, preferNoScheduleTolerations(pod));
    return SUCCESS;
  }

  /** How many PreferNoSchedule taints of the node the pod does not tolerate. */
  score(state: CycleState, pod: KubeObject, node: NodeInfo): number {
    const taints = nodeSpec(node).taints;
    if (!taints || taints.length === 0) return 0;
    let tolerations = state.get(PRE_SCORE_KEY) as Toleration[] | undefined;
    if (!tolerations) {
      tolerations = preferNoScheduleTolerations(pod);
      state.set(PRE_SCORE_KEY, tolerations);
    }
    let count = 0;
    for (const taint of taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, taint)) {
        count++;
      }
    }
    return count;
  }

  normalizeScore(_state: CycleState, _pod: KubeObject, scores: NodeScore[]): void {
    defaultNormalizeScore(scores, true);
  }
}
