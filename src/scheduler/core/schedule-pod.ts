import type { KubeObject } from '../../api/index.ts';
import {
  SUCCESS,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type ScorePlugin,
  type Snapshot,
  type Status,
} from '../framework/index.ts';

// One scheduling decision, pure: filter nodes (stopping, like kube-scheduler, once enough
// feasible ones are found in big clusters, starting where the last cycle stopped), score
// the feasible ones with every score plugin, and pick the best (ties at random). It reads
// the snapshot and returns a value; binding is someone else's job.

export interface ScheduleResult {
  /** The chosen node, when one fits. */
  node?: string;
  /** Why each rejected node was rejected (by node name). */
  statuses: Map<string, Status>;
  /** A pre-filter rejection that applies to every node. */
  preFilterStatus?: Status;
  evaluated: number;
  feasible: number;
}

const MIN_FEASIBLE_NODES = 100;

/** kube-scheduler's adaptive percentageOfNodesToScore. */
export function numFeasibleNodesToFind(total: number): number {
  if (total < MIN_FEASIBLE_NODES) return total;
  const percentage = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(MIN_FEASIBLE_NODES, Math.floor((total * percentage) / 100));
}

export interface ScheduleOptions {
  filters: FilterPlugin[];
  scores: ScorePlugin[];
  /** Where to start looking, so that successive pods spread their search. */
  startIndex: number;
  /**
   * The node as this pod must see it when other pods are nominated there (after a
   * preemption): with those of equal or higher priority counted as if already placed.
   */
  withNominated?: (node: NodeInfo) => NodeInfo;
  random?: () => number;
}

export function schedulePod(
  pod: KubeObject,
  snapshot: Snapshot,
  opts: ScheduleOptions,
): ScheduleResult {
  const state: CycleState = new Map();
  const statuses = new Map<string, Status>();
  const nodes = snapshot.nodes;
  // The filters this pod needs: those whose PreFilter says Skip would pass every node.
  const filters: FilterPlugin[] = [];
  for (const f of opts.filters) {
    const st = f.preFilter ? f.preFilter(state, pod, snapshot) : SUCCESS;
    if (st.code === 'Skip') continue;
    if (st.code !== 'Success') {
      const status = { ...st, plugin: f.name };
      for (const n of nodes) statuses.set(n.name, status);
      return { statuses, preFilterStatus: status, evaluated: nodes.length, feasible: 0 };
    }
    filters.push(f);
  }
  const wanted = numFeasibleNodesToFind(nodes.length);
  const feasible: NodeInfo[] = [];
  let evaluated = 0;
  for (let i = 0; i < nodes.length && feasible.length < wanted; i++) {
    const node = nodes[(opts.startIndex + i) % nodes.length]!;
    evaluated++;
    const view = opts.withNominated ? opts.withNominated(node) : node;
    let rejected: Status | undefined;
    for (const f of filters) {
      const st = f.filter(state, pod, view, snapshot);
      if (st.code !== 'Success') {
        rejected = { ...st, plugin: f.name };
        break;
      }
    }
    if (rejected) statuses.set(node.name, rejected);
    else feasible.push(node);
  }
  const result = { statuses, evaluated, feasible: feasible.length };
  if (feasible.length === 0) return result;
  if (feasible.length === 1) return { ...result, node: feasible[0]!.name };

  // Lists by feasible index, not maps by name: this loop runs plugins × feasible nodes
  // times per pod, and hashing node names was most of a cycle's cost.
  const total = new Float64Array(feasible.length);
  const scores: NodeScore[] = feasible.map((n) => ({ name: n.name, score: 0 }));
  for (const s of opts.scores) {
    if (s.preScore && s.preScore(state, pod, feasible, snapshot).code !== 'Success') continue;
    for (let i = 0; i < feasible.length; i++)
      scores[i]!.score = s.score(state, pod, feasible[i]!, snapshot);
    s.normalizeScore?.(state, pod, scores);
    for (let i = 0; i < feasible.length; i++) total[i]! += scores[i]!.score * s.weight;
  }
  const random = opts.random ?? Math.random;
  let best = 0;
  let ties = 0;
  for (let i = 0; i < feasible.length; i++) {
    if (ties === 0 || total[i]! > total[best]!) {
      best = i;
      ties = 1;
    } else if (total[i] === total[best] && random() < 1 / ++ties) {
      best = i;
    }
  }
  return { ...result, node: feasible[best]!.name };
}
