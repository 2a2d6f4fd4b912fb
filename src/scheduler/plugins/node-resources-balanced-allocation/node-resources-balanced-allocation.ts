import type { KubeObject } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE,
  podRequests,
  SUCCESS,
  type CycleState,
  type NodeInfo,
  type Resources,
  type ScorePlugin,
  type Status,
} from '../../framework/index.ts';

// NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used in
// the same proportion after placing the pod: score = (1 - std) * MAX_NODE_SCORE over the
// requested/allocatable fractions (capped at 1). Unlike LeastAllocated it uses the actual
// requests (useRequested), not the non-zero defaults. As in 1.32, best-effort pods are
// scored too (1.33 started skipping them).

export const NAME = 'NodeResourcesBalancedAllocation';

const PRE_SCORE_KEY = `PreScore${NAME}`;

/** balancedResourceScorer over parallel lists of requested and allocatable amounts. */
export function balancedResourceScore(requested: number[], allocatable: number[]): number {
  const fractions: number[] = [];
  let total = 0;
  for (let i = 0; i < requested.length; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(requested[i]! / allocatable[i]!, 1);
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export class NodeResourcesBalancedAllocation implements ScorePlugin {
  readonly name = NAME;
  readonly weight: number;

  constructor(weight = 1) {
    this.weight = weight;
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    state.set(PRE_SCORE_KEY, podRequests(pod));
    return SUCCESS;
  }

  score(state: CycleState, pod: KubeObject, node: NodeInfo): number {
    let req = state.get(PRE_SCORE_KEY) as Resources | undefined;
    if (!req) {
      req = podRequests(pod);
      state.set(PRE_SCORE_KEY, req);
    }
    const alloc = node.allocatable;
    // Inlined two-resource case of balancedResourceScore (cpu, memory): no allocation.
    let f0 = -1;
    let f1 = -1;
    if (alloc.milliCPU !== 0) {
      f0 = Math.min((node.requested.milliCPU + req.milliCPU) / alloc.milliCPU, 1);
    }
    if (alloc.memory !== 0) {
      f1 = Math.min((node.requested.memory + req.memory) / alloc.memory, 1);
    }
    const std = f0 >= 0 && f1 >= 0 ? Math.abs((f0 - f1) / 2) : 0;
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  }
}
