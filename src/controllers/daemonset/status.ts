import type { KubeObject } from '../../api/index.ts';
import type { SyncContext } from './context.ts';
import { hashOf } from './history.ts';
import type { NodePods } from './manage.ts';
import { nodeShouldRunDaemonPod } from './placement.ts';
import { byCreationTimestampAndPhase, isPodAvailable, isPodReady } from './pods.ts';
import { DAEMONSETS, specOf, statusOf, type DaemonSetStatus } from './types.ts';

// updateDaemonSetStatus and storeDaemonSetStatus of daemon_controller.go. Per node that
// should run the pod: desired; with a pod (bound or meant for it): current, and by the
// oldest such pod ready, available and updated (it carries the current hash). Pods on
// nodes that should not run one are misscheduled. The first four counts are always
// present in JSON, the others are omitted when zero, as Kubernetes serialises them.

export interface StatusCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

export function calculateStatus(
  ds: KubeObject,
  nodes: KubeObject[],
  byNode: NodePods,
  hash: string,
  now: number,
): StatusCounts {
  const counts: StatusCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const { minReadySeconds } = specOf(ds);
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata?.name ?? '') ?? [];
    if (!shouldRun) {
      if (pods.length > 0) counts.numberMisscheduled++;
      continue;
    }
    counts.desiredNumberScheduled++;
    if (pods.length === 0) continue;
    counts.currentNumberScheduled++;
    const oldest = [...pods].sort(byCreationTimestampAndPhase)[0]!;
    if (isPodReady(oldest)) {
      counts.numberReady++;
      if (isPodAvailable(oldest, minReadySeconds, now)) counts.numberAvailable++;
    }
    if (hash && hashOf(oldest) === hash) counts.updatedNumberScheduled++;
  }
  counts.numberUnavailable = counts.desiredNumberScheduled - counts.numberAvailable;
  return counts;
}

/** The status to write: the counts, and observedGeneration when this sync acted on the spec. */
export function nextStatus(
  ds: KubeObject,
  counts: StatusCounts,
  observedGeneration: number | undefined,
): DaemonSetStatus {
  const next: DaemonSetStatus = { ...statusOf(ds), ...counts };
  if (observedGeneration !== undefined) next.observedGeneration = observedGeneration;
  for (const field of OMIT_EMPTY) if (!next[field]) delete next[field];
  return next;
}

const OMIT_EMPTY = [
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
] as const;

/** storeDaemonSetStatus's steady state: the same counts and the generation already observed. */
export function statusUnchanged(ds: KubeObject, counts: StatusCounts): boolean {
  const old = statusOf(ds);
  const same = (Object.keys(counts) as (keyof StatusCounts)[]).every(
    (k) => (old[k] ?? 0) === counts[k],
  );
  return same && (old.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
}

/** One retry of a failed status write, after reading the DaemonSet again. */
const STATUS_UPDATE_RETRIES = 1;

/** storeDaemonSetStatus: writes through the status subresource unless nothing changed. */
export async function storeStatus(
  ctx: SyncContext,
  ds: KubeObject,
  counts: StatusCounts,
  updateObservedGeneration: boolean,
): Promise<void> {
  if (statusUnchanged(ds, counts)) return;
  const { namespace = '', name = '' } = ds.metadata ?? {};
  // The generation this sync read, not a fresher one read for the retry.
  const observed = updateObservedGeneration ? ds.metadata?.generation : undefined;
  let current = ds;
  for (let attempt = 0; ; attempt++) {
    // The cached object is shared: write a copy.
    const body = { ...structuredClone(current), status: nextStatus(current, counts, observed) };
    try {
      await ctx.client.update(DAEMONSETS, namespace, name, body, { subresource: 'status' });
      return;
    } catch (err) {
      if (attempt >= STATUS_UPDATE_RETRIES) throw err;
    }
    current = await ctx.client.get(DAEMONSETS, namespace, name);
  }
}
