import type { KubeObject } from '../../api/index.ts';
import { isNamespaceTerminating, isNotFound, objectKey } from '../../client/index.ts';
import type { SyncContext } from './context.ts';
import { hashOf } from './history.ts';
import {
  daemonPod,
  daemonPodTemplate,
  nodeShouldRunDaemonPod,
  targetNodeName,
} from './placement.ts';
import {
  byCreationTimestampAndPhase,
  isPodAvailable,
  isPodReady,
  isPodTerminal,
  nodeNameOf,
  phaseOf,
} from './pods.ts';
import { allowsSurge } from './strategy.ts';
import {
  errorMessage,
  newControllerRef,
  PODS,
  specOf,
  statusOf,
  templateGeneration,
} from './types.ts';

// manage and syncNodes of daemon_controller.go: for every node, the pods to create (it
// should run one and has none) and to delete (failed or succeeded pods, surplus pods, pods
// on nodes that no longer admit them); then those writes, at most burstReplicas of each,
// with expectations recorded first so that the informer events of these very writes are
// what lets the next sync act again.

export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/** The DaemonSet's claimed pods by the node they are on or meant for. */
export type NodePods = Map<string, KubeObject[]>;

/**
 * getNodesToDaemonPods: pods without a target node are left out, and so are terminal
 * pods already being deleted unless `includeDeletedTerminal`.
 */
export function nodesToDaemonPods(pods: KubeObject[], includeDeletedTerminal: boolean): NodePods {
  const byNode: NodePods = new Map();
  for (const pod of pods) {
    if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata?.deletionTimestamp) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = byNode.get(node);
    if (list) list.push(pod);
    else byNode.set(node, [pod]);
  }
  return byNode;
}

interface NodeChanges {
  create: string[];
  delete: string[];
}

/** podsShouldBeOnNode. */
export function podsShouldBeOnNode(
  ctx: SyncContext,
  ds: KubeObject,
  node: KubeObject,
  byNode: NodePods,
  hash: string,
): NodeChanges {
  const out: NodeChanges = { create: [], delete: [] };
  const nodeName = node.metadata?.name ?? '';
  const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
  const pods = byNode.get(nodeName);
  if (shouldRun && !pods) {
    out.create.push(nodeName);
  } else if (shouldContinueRunning) {
    const running: KubeObject[] = [];
    for (const pod of pods ?? []) {
      if (pod.metadata?.deletionTimestamp) continue;
      const phase = phaseOf(pod);
      const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      if (phase === 'Failed') {
        // The controller often fights a node that rejects pods: back off, do not hot-loop.
        const key = `${ds.metadata?.uid}/${statusOf(ds).observedGeneration ?? 0}/${nodeName}`;
        if (ctx.failedPodsBackoff.inBackoff(key)) {
          ctx.requeueAfter(ctx.failedPodsBackoff.get(key));
          continue;
        }
        ctx.failedPodsBackoff.next(key);
        const msg = `Found failed daemon pod ${name} on node ${nodeName}, will try to kill it`;
        ctx.events.event(ds, 'Warning', 'FailedDaemonPod', msg);
        out.delete.push(pod.metadata?.name ?? '');
      } else if (phase === 'Succeeded') {
        const msg = `Found succeeded daemon pod ${name} on node ${nodeName}, will try to delete it`;
        ctx.events.event(ds, 'Normal', 'SucceededDaemonPod', msg);
        out.delete.push(pod.metadata?.name ?? '');
      } else {
        running.push(pod);
      }
    }
    running.sort(byCreationTimestampAndPhase);
    if (!allowsSurge(ds)) {
      // One pod per node: keep the oldest. None left (all deleting): wait until they are gone.
      for (const pod of running.slice(1)) out.delete.push(pod.metadata?.name ?? '');
    } else if (running.length === 0) {
      if (shouldRun) out.create.push(nodeName);
    } else if (running.length > 1) {
      // Surging: keep the oldest new pod and the oldest old one, and the old one only
      // while it is ready and the new one is not yet available.
      let oldestNew: KubeObject | undefined;
      let oldestOld: KubeObject | undefined;
      for (const pod of running) {
        if (hashOf(pod) === hash) {
          if (!oldestNew) {
            oldestNew = pod;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = pod;
          continue;
        }
        out.delete.push(pod.metadata?.name ?? '');
      }
      if (oldestNew && oldestOld) {
        const now = ctx.clock.now();
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, specOf(ds).minReadySeconds, now)) {
          out.delete.push(oldestOld.metadata?.name ?? '');
        }
      }
    }
  } else if (pods) {
    // The node no longer admits the pods: delete them all.
    for (const pod of pods) {
      if (!pod.metadata?.deletionTimestamp) out.delete.push(pod.metadata?.name ?? '');
    }
  }
  return out;
}

/** manage: the changes of every node, plus unbound pods meant for nodes that are gone. */
export async function manage(
  ctx: SyncContext,
  ds: KubeObject,
  nodes: KubeObject[],
  byNode: NodePods,
  hash: string,
): Promise<void> {
  const create: string[] = [];
  const del: string[] = [];
  for (const node of nodes) {
    const changes = podsShouldBeOnNode(ctx, ds, node, byNode, hash);
    create.push(...changes.create);
    del.push(...changes.delete);
  }
  // getUnscheduledPodsWithoutNode: pods never bound, whose node is gone, stay Pending
  // forever and the pod GC does not see them.
  const existing = new Set(nodes.map((n) => n.metadata?.name ?? ''));
  for (const [node, pods] of byNode) {
    if (existing.has(node)) continue;
    for (const pod of pods) if (!nodeNameOf(pod)) del.push(pod.metadata?.name ?? '');
  }
  await syncNodes(ctx, ds, del, create, hash);
}

/**
 * syncNodes: creates a pod for each node in `nodesNeedingPods` (in slow-start batches,
 * stopping after the first batch with a failure) and deletes `podsToDelete` (names).
 * Throws the failures, aggregated as Kubernetes does.
 */
export async function syncNodes(
  ctx: SyncContext,
  ds: KubeObject,
  podsToDelete: string[],
  nodesNeedingPods: string[],
  hash: string,
): Promise<void> {
  const key = objectKey(ds);
  const namespace = ds.metadata?.namespace ?? '';
  const creates = nodesNeedingPods.slice(0, ctx.burstReplicas);
  const deletes = podsToDelete.slice(0, ctx.burstReplicas);
  ctx.expectations.set(
    key,
    creates.length,
    deletes.map((name) => `${namespace}/${name}`),
  );
  const errors: unknown[] = [];

  const template = daemonPodTemplate(specOf(ds).template, hash, templateGeneration(ds));
  const ref = newControllerRef(ds);
  let pos = 0;
  for (let batch = Math.min(creates.length, SLOW_START_INITIAL_BATCH_SIZE); batch > 0;) {
    const nodes = creates.slice(pos, pos + batch);
    const results = await Promise.allSettled(
      nodes.map((node) =>
        createPod(ctx, ds, daemonPod(ds.metadata?.name ?? '', template, node, ref)),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) {
      ctx.expectations.creationObserved(key);
      errors.push(f.reason);
    }
    pos += batch;
    if (failed.length > 0) {
      // The pods never tried are never observed: stop expecting them.
      ctx.expectations.creationObserved(key, creates.length - pos);
      break;
    }
    batch = Math.min(2 * batch, creates.length - pos);
  }

  await Promise.all(
    deletes.map(async (name) => {
      try {
        await deletePod(ctx, ds, name);
      } catch (err) {
        ctx.expectations.deletionObserved(key, `${namespace}/${name}`);
        if (!isNotFound(err)) errors.push(err);
      }
    }),
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new Error(`[${errors.map(errorMessage).join(', ')}]`);
}

/** RealPodControl.CreatePods; a create refused because the namespace is terminating is not a failure. */
async function createPod(ctx: SyncContext, ds: KubeObject, pod: KubeObject): Promise<void> {
  if (Object.keys(pod.metadata?.labels ?? {}).length === 0) {
    throw new Error('unable to create pods, no labels');
  }
  let created: KubeObject;
  try {
    created = await ctx.client.create(PODS, ds.metadata?.namespace ?? '', pod);
  } catch (err) {
    if (isNamespaceTerminating(err)) return;
    ctx.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
    throw err;
  }
  ctx.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
}

/** RealPodControl.DeletePod: NotFound is thrown as is, other failures with an event. */
async function deletePod(ctx: SyncContext, ds: KubeObject, name: string): Promise<void> {
  try {
    await ctx.client.delete(PODS, ds.metadata?.namespace ?? '', name);
  } catch (err) {
    if (isNotFound(err)) throw err;
    ctx.events.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
    throw new Error(`unable to delete pods: ${errorMessage(err)}`);
  }
  ctx.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
}
