import type { KubeObject } from '../../api/index.ts';
import {
  nodeWithPods,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Snapshot,
  type Status,
} from '../framework/index.ts';

// Preemption, after kube-scheduler's DefaultPreemption: when a pod fits nowhere, find the
// node where evicting the fewest, least important lower-priority pods makes it fit. For
// each node the filters rejected as merely Unschedulable: take away every lower-priority
// pod; if the pod fits then, give back ("reprieve") as many of them as still leave room,
// most important first, preferring to keep pods whose eviction would break a
// PodDisruptionBudget. The candidates are ranked as Kubernetes ranks them.

export interface PreemptionCandidate {
  node: string;
  victims: KubeObject[];
  /** How many victims would go against their PodDisruptionBudget. */
  pdbViolations: number;
}

export interface PreemptionInput {
  pod: KubeObject;
  snapshot: Snapshot;
  filters: FilterPlugin[];
  /** The first cycle's verdicts: only Unschedulable nodes are worth trying. */
  statuses: Map<string, Status>;
  priorityOf(pod: KubeObject): number;
  /** Whether evicting `pod` now would go against a PodDisruptionBudget. */
  violatesBudget(pod: KubeObject): boolean;
}

function fits(state: CycleState, input: PreemptionInput, node: NodeInfo): boolean {
  return input.filters.every(
    (f) => f.filter(state, input.pod, node, input.snapshot).code === 'Success',
  );
}

function startTime(pod: KubeObject): number {
  const t =
    (pod.status as { startTime?: string } | undefined)?.startTime ??
    pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** The victims needed on one node, or undefined when preemption cannot help there. */
function candidateOn(
  state: CycleState,
  input: PreemptionInput,
  node: NodeInfo,
): PreemptionCandidate | undefined {
  const priority = input.priorityOf(input.pod);
  const lower = node.pods.filter((p) => input.priorityOf(p.pod) < priority);
  if (lower.length === 0) return undefined;
  const kept = node.pods.filter((p) => !lower.includes(p));
  if (!fits(state, input, nodeWithPods(node, kept))) return undefined;
  // Reprieve: most important first; among equals, pods protected by a budget first.
  const ordered = [...lower].sort((a, b) => {
    const byPriority = input.priorityOf(b.pod) - input.priorityOf(a.pod);
    if (byPriority !== 0) return byPriority;
    return Number(input.violatesBudget(b.pod)) - Number(input.violatesBudget(a.pod));
  });
  const victims: KubeObject[] = [];
  for (const p of ordered) {
    const trial = [...kept, p];
    if (fits(state, input, nodeWithPods(node, trial))) kept.push(p);
    else victims.push(p.pod);
  }
  return {
    node: node.name,
    victims,
    pdbViolations: victims.filter((v) => input.violatesBudget(v)).length,
  };
}

/** Ranks candidates as kube-scheduler's pickOneNodeForPreemption does; best first. */
function compare(
  a: PreemptionCandidate,
  b: PreemptionCandidate,
  priorityOf: (p: KubeObject) => number,
): number {
  if (a.pdbViolations !== b.pdbViolations) return a.pdbViolations - b.pdbViolations;
  const highest = (c: PreemptionCandidate) => Math.max(...c.victims.map(priorityOf));
  if (highest(a) !== highest(b)) return highest(a) - highest(b);
  const sum = (c: PreemptionCandidate) =>
    c.victims.reduce((s, v) => s + priorityOf(v) + 2 ** 31, 0);
  if (sum(a) !== sum(b)) return sum(a) - sum(b);
  if (a.victims.length !== b.victims.length) return a.victims.length - b.victims.length;
  // Prefer the node whose most important victim started most recently.
  const latest = (c: PreemptionCandidate) => Math.max(...c.victims.map(startTime));
  return latest(b) - latest(a);
}

export function findPreemption(input: PreemptionInput): PreemptionCandidate | undefined {
  const policy = (input.pod.spec as { preemptionPolicy?: string } | undefined)?.preemptionPolicy;
  if (policy === 'Never') return undefined;
  const state: CycleState = new Map();
  // As in a scheduling cycle, a filter whose PreFilter says Skip is left out.
  const filters = [];
  for (const f of input.filters) {
    const code = f.preFilter ? f.preFilter(state, input.pod, input.snapshot).code : 'Success';
    if (code === 'Skip') continue;
    if (code !== 'Success') return undefined;
    filters.push(f);
  }
  const needed = { ...input, filters };
  const candidates: PreemptionCandidate[] = [];
  for (const node of input.snapshot.nodes) {
    if (input.statuses.get(node.name)?.code !== 'Unschedulable') continue;
    const c = candidateOn(state, needed, node);
    if (c && c.victims.length > 0) candidates.push(c);
  }
  candidates.sort((a, b) => compare(a, b, input.priorityOf));
  return candidates[0];
}
