import type { KubeObject } from '../../api/index.ts';
import type { SyncContext } from './context.ts';
import { hashOf } from './history.ts';
import { syncNodes, type NodePods } from './manage.ts';
import { nodeShouldRunDaemonPod } from './placement.ts';
import { isPodAvailable } from './pods.ts';
import { surgeCount, unavailableCount } from './strategy.ts';
import { specOf } from './types.ts';

// rollingUpdate of update.go: which old pods to delete, or (with maxSurge) on which nodes
// to start a new pod beside the old one, within the strategy's bounds. The manage loop
// does the rest: it creates the pod a node lacks and prunes the surplus.
//
// Without surge, at most maxUnavailable nodes are without an available pod: an old pod is
// deleted only while fewer nodes than that are unavailable (old pods that are unavailable
// anyway are replaced at once, and a node whose pod is being deleted does not count).
// With surge, a node with an available old pod gets a new pod only while fewer than
// maxSurge new pods are still becoming available, and the old pod goes once the new one
// is available.

interface Counts {
  maxSurge: number;
  maxUnavailable: number;
  desired: number;
}

/**
 * updatedDesiredNodeCounts: the bounds for `desired` nodes (maxUnavailable 1 if both are
 * 0), with an empty entry in `byNode` for every node that should run a pod and has none.
 */
function desiredNodeCounts(ds: KubeObject, nodes: KubeObject[], byNode: NodePods): Counts {
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    const name = node.metadata?.name ?? '';
    if (!byNode.has(name)) byNode.set(name, []);
  }
  let maxUnavailable: number;
  let maxSurge: number;
  try {
    maxUnavailable = unavailableCount(ds, desired);
  } catch (err) {
    throw new Error(`couldn't get unavailable numbers: invalid value for MaxUnavailable: ${err}`);
  }
  try {
    maxSurge = surgeCount(ds, desired);
  } catch (err) {
    throw new Error(`couldn't get unavailable numbers: invalid value for MaxSurge: ${err}`);
  }
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desired };
}

/** findUpdatedPodsOnNode: the node's new and old pod, or undefined if it has more of either. */
export function updatedPodsOnNode(pods: KubeObject[], hash: string) {
  let newPod: KubeObject | undefined;
  let oldPod: KubeObject | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (hash && hashOf(pod) === hash) {
      if (newPod) return undefined;
      newPod = pod;
    } else {
      if (oldPod) return undefined;
      oldPod = pod;
    }
  }
  return { newPod, oldPod };
}

export async function rollingUpdate(
  ctx: SyncContext,
  ds: KubeObject,
  nodes: KubeObject[],
  podsByNode: NodePods,
  hash: string,
): Promise<void> {
  const byNode: NodePods = new Map(podsByNode);
  const { maxSurge, maxUnavailable, desired } = desiredNodeCounts(ds, nodes, byNode);
  const now = ctx.clock.now();
  const { minReadySeconds } = specOf(ds);
  const available = (pod: KubeObject) => isPodAvailable(pod, minReadySeconds, now);
  // Nodes in name order, so that which pods go first does not depend on cache order.
  const entries = [...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replacements: string[] = [];
    const candidates: string[] = [];
    for (const [, pods] of entries) {
      const found = updatedPodsOnNode(pods, hash);
      // More than one of a kind: the manage loop prunes them; count the node unavailable.
      if (!found) {
        numUnavailable++;
        continue;
      }
      const { newPod, oldPod } = found;
      if (!oldPod) {
        if (!newPod || !available(newPod)) numUnavailable++;
      } else if (newPod) {
        numUnavailable++;
      } else if (!available(oldPod)) {
        replacements.push(oldPod.metadata?.name ?? '');
        numUnavailable++;
      } else if (numUnavailable < maxUnavailable) {
        candidates.push(oldPod.metadata?.name ?? '');
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    await syncNodes(ctx, ds, [...replacements, ...candidates.slice(0, room)], [], hash);
    return;
  }

  const toDelete: string[] = [];
  const shouldNotRun: string[] = [];
  const candidateNodes: string[] = [];
  const allowedNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  const shouldRunOn = (name: string) => {
    const node = ctx.caches.nodes.get(name);
    return !!node && nodeShouldRunDaemonPod(node, ds).shouldRun;
  };
  for (const [nodeName, pods] of entries) {
    const found = updatedPodsOnNode(pods, hash);
    if (!found) {
      numSurge++;
      continue;
    }
    const { newPod, oldPod } = found;
    const counted = oldPod ?? newPod;
    if (counted && available(counted)) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRunOn(nodeName)) toDelete.push(oldPod.metadata?.name ?? '');
        else allowedNodes.push(nodeName);
      } else if (!shouldRunOn(nodeName)) {
        shouldNotRun.push(oldPod.metadata?.name ?? '');
      } else if (numSurge < maxSurge) {
        candidateNodes.push(nodeName);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      toDelete.push(oldPod.metadata?.name ?? '');
    }
  }
  // The owner expects full availability with surge: pods on nodes that no longer admit
  // them go only as others become available beyond the desired number.
  const deletable = Math.min(Math.max(0, numAvailable - desired), shouldNotRun.length);
  toDelete.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
  await syncNodes(ctx, ds, toDelete, [...allowedNodes, ...candidateNodes.slice(0, room)], hash);
}
