import { rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { isNotFound, type RestClient, type StoreReader } from '../../client/index.ts';
import { PODS, podSpec, podStatus } from './node-api.ts';

// Pods by the node they are bound to, and MarkPodsNotReady.

/** Our own index name on the shared pod informer, so no other controller's collides. */
export const PODS_BY_NODE = 'node-lifecycle/spec.nodeName';

export function podsByNodeIndex(pod: KubeObject): string[] {
  const nodeName = podSpec(pod).nodeName;
  return nodeName ? [nodeName] : [];
}

/** Adds `name` to a (possibly shared) store unless it is there already. */
export function ensureIndex(
  store: StoreReader,
  name: string,
  fn: (obj: KubeObject) => string[],
): void {
  try {
    store.byIndex(name, '');
  } catch {
    store.addIndexer(name, fn);
  }
}

/** Where events go: an EventRecorder, or a test's list. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export type PodStatusClient = Pick<RestClient, 'update'>;

/**
 * controllerutil.MarkPodsNotReady: the Ready condition of each pod bound to `nodeName`
 * goes to False (its reason and message kept, a new transition time), written through
 * pods/status with the cached resourceVersion, and a `NodeNotReady` warning is recorded on
 * the pod. Pods without a Ready condition, or already not Ready, are left alone; pods that
 * are gone are skipped. Throws when some write failed (the caller retries).
 */
export async function markPodsNotReady(
  client: PodStatusClient,
  events: EventSink,
  pods: readonly KubeObject[],
  nodeName: string,
  now: number,
  fieldManager: string,
): Promise<void> {
  const failures: unknown[] = [];
  for (const cached of pods) {
    if (podSpec(cached).nodeName !== nodeName) continue;
    const ready = podStatus(cached).conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') continue;
    // The cached pod is shared with every other handler: change a copy.
    const pod = structuredClone(cached);
    const condition = podStatus(pod).conditions!.find((c) => c.type === 'Ready')!;
    condition.status = 'False';
    condition.lastTransitionTime = rfc3339(now);
    const { namespace = '', name = '' } = pod.metadata ?? {};
    try {
      await client.update(PODS, namespace, name, pod, { subresource: 'status', fieldManager });
    } catch (err) {
      if (isNotFound(err)) continue;
      failures.push(err);
    }
    events.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
  }
  if (failures.length > 0) {
    throw new AggregateError(
      failures,
      `could not mark ${failures.length} pod(s) on node ${nodeName} NotReady: ${String(failures[0])}`,
    );
  }
}
