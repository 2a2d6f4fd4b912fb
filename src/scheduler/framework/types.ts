import type { KubeObject } from '../../api/index.ts';

// The scheduling framework's contracts, after kube-scheduler's framework/interface.go.
// Plugins implement only the extension points they need; results are values (Status),
// never exceptions. The scheduling core reads a Snapshot and is pure: it decides, the
// plumbing around it binds.

export type StatusCode =
  /** The pod fits (filter) or the step went fine. */
  | 'Success'
  /** Does not fit now; may fit after the cluster changes (or after preemption). */
  | 'Unschedulable'
  /** Does not fit, and preempting pods on this node would not help. */
  | 'UnschedulableAndUnresolvable'
  /** The plugin failed: a bug or a bad object, not a verdict on the node. */
  | 'Error'
  /**
   * From PreFilter or PreScore only: the plugin has nothing to say about this pod, so its
   * Filter (or Score) is not run in this cycle — as kube-scheduler's framework.Skip.
   */
  | 'Skip';

export interface Status {
  code: StatusCode;
  /** Kubernetes' reason texts, e.g. `Insufficient cpu`, `node(s) didn't match Pod's node affinity/selector`. */
  reasons: string[];
  /** Set by the framework: which plugin said it. */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;

/** PreFilter/PreScore: this plugin's Filter/Score would pass (or score) every node alike. */
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] }) as Status;

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function pluginError(message: string): Status {
  return { code: 'Error', reasons: [message] };
}

/** Amounts in the units the scheduler compares: millicores, bytes, counts. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
  /** Extended resources (`example.com/gpu`, `hugepages-2Mi`…) by name. */
  scalar: Record<string, number>;
}

/** Cpu (millicores) and memory (bytes) alone. */
export interface CpuMemory {
  milliCPU: number;
  memory: number;
}

export interface PodInfo {
  pod: KubeObject;
  /** The pod's effective requests (max of init containers and sum of app containers, plus overhead). */
  requests: Resources;
  /** The cpu and memory it is scored with (podNonZeroRequests). */
  nonZero: CpuMemory;
}

/** One node as the scheduler sees it: the Node object and the pods assigned to it. */
export interface NodeInfo {
  name: string;
  node: KubeObject;
  pods: PodInfo[];
  /** Sum of the requests of `pods`. */
  requested: Resources;
  /** Sum of the non-zero (scoring) requests of `pods`: NodeInfo.NonZeroRequested. */
  nonZeroRequested: CpuMemory;
  /** status.allocatable (falling back to capacity). */
  allocatable: Resources;
  /** Host ports in use: `${protocol}/${hostIP}/${port}` (hostIP `0.0.0.0` for any). */
  usedHostPorts: Set<string>;
}

/** The labels of every Namespace, for pod affinity terms' `namespaceSelector`. */
export interface NamespaceLabels {
  /** Moves on whenever a namespace comes, goes or changes its labels. */
  readonly generation: number;
  /** Undefined for a namespace the scheduler has not seen. */
  labelsOf(namespace: string): Record<string, string> | undefined;
}

/** An immutable view of the cluster for one scheduling cycle. */
export interface Snapshot {
  nodes: NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Pods on any node that declare (anti-)affinity terms, for InterPodAffinity. */
  podsWithAffinity: PodInfo[];
  namespaces: NamespaceLabels;
}

/** Per-cycle scratch space plugins share between their own extension points. */
export type CycleState = Map<string, unknown>;

export interface Plugin {
  readonly name: string;
}

export interface FilterPlugin extends Plugin {
  /**
   * Once per pod per cycle; an unschedulable result here rejects every node at once, and
   * Skip leaves Filter out of the cycle. Filter must still answer correctly without it.
   */
  preFilter?(state: CycleState, pod: KubeObject, snapshot: Snapshot): Status;
  /** Whether `pod` may go on `node`. Must not mutate anything it is given. */
  filter(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): Status;
}

export interface ScorePlugin extends Plugin {
  /** Relative weight of this plugin's normalized score. */
  readonly weight: number;
  /** Skip (or any status but Success) leaves Score out: every node alike gets 0 from it. */
  preScore?(state: CycleState, pod: KubeObject, nodes: NodeInfo[], snapshot: Snapshot): Status;
  /** A raw score for `node`; higher is better. */
  score(state: CycleState, pod: KubeObject, node: NodeInfo, snapshot: Snapshot): number;
  /** Rescales the raw scores in place to 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: KubeObject, scores: NodeScore[]): void;
}

/** One node's score (framework.NodeScore); a cycle scores a list of them, not a map. */
export interface NodeScore {
  name: string;
  score: number;
}

export const MAX_NODE_SCORE = 100;

/**
 * Scales scores so the best is MAX_NODE_SCORE (or the worst, with `reverse`), as
 * kube-scheduler's DefaultNormalizeScore does.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse = false): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  for (const s of scores) {
    let v = max === 0 ? 0 : Math.floor((MAX_NODE_SCORE * s.score) / max);
    if (reverse) v = MAX_NODE_SCORE - v;
    s.score = v;
  }
}
