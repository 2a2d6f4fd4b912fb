import { rfc3339 } from '../time.ts';
import type { KubeObject } from '../index.ts';

// The DisruptionTarget pod condition. The eviction API sets it (True,
// EvictionByEvictionAPI) just before deleting a pod; if the pod is still not being
// deleted two minutes later, the disruption controller sets it back to False, as
// Kubernetes' stale-pod-disruption worker does.

export const DISRUPTION_TARGET = 'DisruptionTarget';
export const STALE_POD_DISRUPTION_TIMEOUT_MS = 2 * 60 * 1000;

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

function conditionsOf(pod: KubeObject): PodCondition[] {
  return (pod.status as { conditions?: PodCondition[] } | undefined)?.conditions ?? [];
}

/**
 * nonTerminatingPodHasStaleDisruptionCondition: how long to wait before the pod's
 * DisruptionTarget condition counts as stale (0: it is stale now), or undefined when the
 * pod has no such condition to clean up — it is being deleted, it finished, or the
 * condition was set by its node (TerminationByKubelet).
 */
export function staleDisruptionWait(pod: KubeObject, now: number): number | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  const cond = conditionsOf(pod).find((c) => c.type === DISRUPTION_TARGET);
  if (
    !cond ||
    cond.status !== 'True' ||
    cond.reason === 'TerminationByKubelet' ||
    phase === 'Succeeded' ||
    phase === 'Failed'
  ) {
    return undefined;
  }
  const since = Date.parse(cond.lastTransitionTime ?? '');
  if (Number.isNaN(since)) return 0;
  return Math.max(0, STALE_POD_DISRUPTION_TIMEOUT_MS - (now - since));
}

/**
 * podutil.UpdatePodCondition: puts `condition` in place of the pod's condition of that
 * type (keeping the transition time while the status stays). Answers the new pod, or
 * undefined when nothing changed. Does not modify `pod`.
 */
export function withPodCondition(
  pod: KubeObject,
  condition: { type: string; status: string; reason?: string; message?: string },
  now: number,
): KubeObject | undefined {
  const conditions = conditionsOf(pod);
  const old = conditions.find((c) => c.type === condition.type);
  const next: PodCondition = {
    ...condition,
    lastProbeTime: null,
    lastTransitionTime:
      old && old.status === condition.status ? old.lastTransitionTime : rfc3339(now),
  };
  if (
    old &&
    old.status === next.status &&
    (old.reason ?? '') === (next.reason ?? '') &&
    (old.message ?? '') === (next.message ?? '') &&
    (old.lastProbeTime ?? null) === null
  ) {
    return undefined;
  }
  const updated = old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
  return { ...pod, status: { ...(pod.status as object), conditions: updated } };
}
