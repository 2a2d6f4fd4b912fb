import type { NodeInfo, PodInfo, Snapshot } from '../../framework/index.ts';

const NONE: readonly PodInfo[] = Object.freeze([]);

/**
 * The pods the snapshot has on `node` that this view of it lacks. Preemption filters a
 * node with some pods taken away (a copy of the NodeInfo); plugins whose pre-filter counted
 * pods across the cluster use this to discount them, as kube-scheduler's RemovePod does.
 * Empty, without allocating, for the snapshot's own NodeInfo.
 */
export function removedPods(node: NodeInfo, snapshot: Snapshot): readonly PodInfo[] {
  const original = snapshot.get(node.name);
  if (!original || original === node || original.pods === node.pods) return NONE;
  const kept = new Set(node.pods);
  return original.pods.filter((p) => !kept.has(p));
}
