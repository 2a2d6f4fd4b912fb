import type { KubeObject } from '../../../api/index.ts';
import {
  MAX_NODE_SCORE,
  podNonZeroRequests,
  podRequests,
  SUCCESS,
  unschedulable,
  type CpuMemory,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Resources,
  type ScorePlugin,
  type Status,
} from '../../framework/index.ts';
import { isScalarResourceName } from '../helper/index.ts';

// NodeResourcesFit: the pod's requests must fit in what the node has left (allocatable
// minus the requests of the pods already there), and every pod takes a pod slot. Scores
// with the LeastAllocated strategy (cpu and memory, weight 1 each), on non-zero requests.

export const NAME = 'NodeResourcesFit';

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

interface PreFilterState {
  requests: Resources;
  /** Scalar resources the pod asks for (more than zero of). */
  scalars: string[];
  /** No cpu, memory, ephemeral storage or scalar request at all. */
  requestsNothing: boolean;
}

function preFilterState(pod: KubeObject): PreFilterState {
  const requests = podRequests(pod);
  const names = Object.keys(requests.scalar).filter(isScalarResourceName);
  return {
    requests,
    scalars: names.filter((n) => requests.scalar[n]! > 0),
    requestsNothing:
      requests.milliCPU === 0 &&
      requests.memory === 0 &&
      requests.ephemeralStorage === 0 &&
      names.length === 0,
  };
}

/** The reasons a pod with these requests does not fit; empty when it does. */
export function insufficientResources(s: PreFilterState, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.length + 1 > node.allocatable.pods) reasons.push('Too many pods');
  if (s.requestsNothing) return reasons;
  const req = s.requests;
  const alloc = node.allocatable;
  const used = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) {
    reasons.push('Insufficient cpu');
  }
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) {
    reasons.push('Insufficient memory');
  }
  if (
    req.ephemeralStorage > 0 &&
    req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage
  ) {
    reasons.push('Insufficient ephemeral-storage');
  }
  for (const name of s.scalars) {
    if (req.scalar[name]! > (alloc.scalar[name] ?? 0) - (used.scalar[name] ?? 0)) {
      reasons.push(`Insufficient ${name}`);
    }
  }
  return reasons;
}

/** leastRequestedScore: the share of the capacity left free, 0..MAX_NODE_SCORE. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export interface NodeResourcesFitOptions {
  /** Score weight in the profile (kube-scheduler default: 1). */
  weight?: number;
  /** LeastAllocated resource weights (default cpu 1, memory 1). */
  cpuWeight?: number;
  memoryWeight?: number;
}

export class NodeResourcesFit implements FilterPlugin, ScorePlugin {
  readonly name = NAME;
  readonly weight: number;
  readonly #cpuWeight: number;
  readonly #memoryWeight: number;

  constructor(opts: NodeResourcesFitOptions = {}) {
    this.weight = opts.weight ?? 1;
    this.#cpuWeight = opts.cpuWeight ?? 1;
    this.#memoryWeight = opts.memoryWeight ?? 1;
  }

  preFilter(state: CycleState, pod: KubeObject): Status {
    state.set(PRE_FILTER_KEY, preFilterState(pod));
    return SUCCESS;
  }

  filter(state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    let s = state.get(PRE_FILTER_KEY) as PreFilterState | undefined;
    if (!s) {
      s = preFilterState(pod);
      state.set(PRE_FILTER_KEY, s);
    }
    const reasons = insufficientResources(s, node);
    return reasons.length === 0 ? SUCCESS : unschedulable(...reasons);
  }

  preScore(state: CycleState, pod: KubeObject): Status {
    state.set(PRE_SCORE_KEY, podNonZeroRequests(pod));
    return SUCCESS;
  }

  /** LeastAllocated: weighted mean of each resource's free share after placing the pod. */
  score(state: CycleState, pod: KubeObject, node: NodeInfo): number {
    let req = state.get(PRE_SCORE_KEY) as CpuMemory | undefined;
    if (!req) {
      req = podNonZeroRequests(pod);
      state.set(PRE_SCORE_KEY, req);
    }
    const used = node.nonZeroRequested;
    let total = 0;
    let weights = 0;
    if (node.allocatable.milliCPU !== 0) {
      const s = leastRequestedScore(used.milliCPU + req.milliCPU, node.allocatable.milliCPU);
      total += s * this.#cpuWeight;
      weights += this.#cpuWeight;
    }
    if (node.allocatable.memory !== 0) {
      const s = leastRequestedScore(used.memory + req.memory, node.allocatable.memory);
      total += s * this.#memoryWeight;
      weights += this.#memoryWeight;
    }
    return weights === 0 ? 0 : Math.floor(total / weights);
  }
}
