import type { KubeObject, OwnerReference } from '../../api/index.ts';
import type { Job, Pod, PodTemplate } from './types.ts';

// Facts about the pods of a Job (pkg/controller/job and pkg/controller's pod helpers).

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** names.MaxGeneratedNameLength: 63 less the five random characters. */
const MAX_GENERATED_NAME_LENGTH = 58;

export const PHASE_SUCCEEDED = 'Succeeded';
export const PHASE_FAILED = 'Failed';

export function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export function jobControllerRef(job: Job): OwnerReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata?.name ?? '',
    uid: job.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === PHASE_SUCCEEDED || phase === PHASE_FAILED;
}

/** controller.FilterActivePods: neither terminal nor being deleted. */
export function isActive(pod: Pod): boolean {
  return !isTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

/** controller.FilterTerminatingPods: being deleted but not terminal yet. */
export function isTerminating(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp && !isTerminal(pod);
}

export function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** strconv.Atoi of the completion-index annotation; -1 when absent or invalid. */
export function completionIndex(pod: Pod): number {
  const value = pod.metadata?.annotations?.[COMPLETION_INDEX_KEY];
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return -1;
  const n = Number(value);
  return n < 0 || !Number.isSafeInteger(n) ? -1 : n;
}

/**
 * The moment a pod finished (backoff_utils.go getFinishedTime): the last container
 * termination, else when Ready turned False, else its deletion less the grace period,
 * else its creation.
 */
export function finishedTime(pod: Pod): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let all = statuses.length > 0;
  for (const s of statuses) {
    const at = parseTime(s.state?.terminated?.finishedAt);
    if (at === undefined) {
      all = false;
      break;
    }
    latest = latest === undefined ? at : Math.max(latest, at);
  }
  if (all && latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const readyFalse = ready?.status === 'False' ? parseTime(ready.lastTransitionTime) : undefined;
  if (readyFalse !== undefined) return readyFalse;
  const deleted = parseTime(pod.metadata?.deletionTimestamp);
  if (deleted !== undefined) {
    return deleted - (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
  }
  return parseTime(pod.metadata?.creationTimestamp) ?? 0;
}

/** The sum of container restarts of running and pending pods (pastBackoffLimitOnFailure). */
export function restartCount(pods: Pod[]): number {
  let total = 0;
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const s of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      total += s.restartCount ?? 0;
    }
  }
  return total;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * controller.ActivePods ordering: the pods it is cheapest to lose first (unscheduled,
 * pending, not ready, ready for less time, restarted more, newer).
 */
export function compareForRemoval(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const rank = (p: Pod) => PHASE_RANK[p.status?.phase ?? ''] ?? 0;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const ready = (p: Pod) => (isReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (isReady(a) && isReady(b)) {
    const since = (p: Pod) =>
      parseTime(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime) ?? 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  const restarts = (p: Pod) =>
    Math.max(0, ...(p.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: Pod) => parseTime(p.metadata?.creationTimestamp) ?? 0;
  return created(b) - created(a);
}

/**
 * controller.GetPodFromTemplate plus what the Job controller adds: the tracking
 * finalizer and, for an Indexed Job, the index (annotation, label, env, hostname).
 */
export function podFromTemplate(job: Job, index: number): Pod {
  const name = job.metadata?.name ?? '';
  // The template belongs to the cached Job: copy it before changing anything.
  const template = structuredClone(job.spec?.template ?? {}) as PodTemplate;
  const spec = template.spec ?? {};
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  const labels = { ...(template.metadata?.labels ?? {}) };
  const finalizers = [...(template.metadata?.finalizers ?? [])];
  if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
  let generateName = `${name}-`;
  if (index >= 0) {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      if (c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
      c.env = [
        ...(c.env ?? []),
        {
          name: COMPLETION_INDEX_ENV,
          valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_KEY}']` } },
        },
      ];
    }
    annotations[COMPLETION_INDEX_KEY] = String(index);
    labels[COMPLETION_INDEX_KEY] = String(index);
    spec.hostname = `${name}-${index}`;
    const suffix = `-${index}-`;
    generateName = `${name}${suffix}`;
    if (generateName.length > MAX_GENERATED_NAME_LENGTH) {
      generateName = name.slice(0, MAX_GENERATED_NAME_LENGTH - suffix.length) + suffix;
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata?.namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      finalizers,
      ownerReferences: [jobControllerRef(job)],
    },
    spec,
  };
}

/** The strategic merge patch that removes the tracking finalizer. */
export const REMOVE_FINALIZER_PATCH = {
  metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] },
};
