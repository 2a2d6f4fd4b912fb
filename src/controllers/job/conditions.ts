import { rfc3339 } from '../../api/index.ts';
import { PHASE_FAILED, PHASE_SUCCEEDED } from './pods.ts';
import type { Job, JobCondition, Pod } from './types.ts';

// Job conditions and the pod failure policy (job_controller.go, pod_failure_policy.go).

export const COMPLETE = 'Complete';
export const FAILED = 'Failed';
export const FAILURE_TARGET = 'FailureTarget';
export const SUCCESS_CRITERIA_MET = 'SuccessCriteriaMet';
export const SUSPENDED = 'Suspended';

export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: number,
): JobCondition {
  const at = rfc3339(now);
  return { type, status, lastProbeTime: at, lastTransitionTime: at, reason, message };
}

export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

/** Complete or Failed is True: the Job is done for good. */
export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some(
    (c) => (c.type === COMPLETE || c.type === FAILED) && c.status === 'True',
  );
}

/**
 * ensureJobConditionStatus: sets a condition of `type`, replacing one that differs;
 * never adds a False condition that was absent. Answers whether anything changed.
 */
export function ensureCondition(job: Job, cond: JobCondition): boolean {
  const status = (job.status ??= {});
  const list = status.conditions ?? [];
  const i = list.findIndex((c) => c.type === cond.type);
  if (i >= 0) {
    const old = list[i]!;
    if (old.status === cond.status && old.reason === cond.reason && old.message === cond.message) {
      return false;
    }
    list[i] = cond;
    return true;
  }
  if (cond.status === 'False') return false;
  status.conditions = [...list, cond];
  return true;
}

/** Only failed pods are replaced: podReplacementPolicy Failed, or a pod failure policy. */
export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/** isPodFailed: Failed, or (unless only failed pods count) deleted before succeeding. */
export function isPodFailed(pod: Pod, job: Job): boolean {
  if (pod.status?.phase === PHASE_FAILED) return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata?.deletionTimestamp && pod.status?.phase !== PHASE_SUCCEEDED;
}

export interface PolicyMatch {
  /** Present when a FailJob rule matched. */
  failJobMessage?: string;
  /** False when an Ignore rule matched: the failure does not count against backoffLimit. */
  countFailed: boolean;
}

/** matchPodFailurePolicy: the first rule matching the failed pod decides. */
export function matchPodFailurePolicy(job: Job, pod: Pod): PolicyMatch {
  const rules = job.spec?.podFailurePolicy?.rules;
  if (!rules) return { countFailed: true };
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (const [index, rule] of rules.entries()) {
    let what: string | undefined;
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      const statuses = [
        ...(pod.status?.containerStatuses ?? []),
        ...(pod.status?.initContainerStatuses ?? []),
      ];
      const hit = statuses.find((s) => {
        const code = s.state?.terminated?.exitCode;
        if (code === undefined || code === 0) return false;
        if (req.containerName && req.containerName !== s.name) return false;
        if (req.operator === 'In') return req.values.includes(code);
        if (req.operator === 'NotIn') return !req.values.includes(code);
        return false;
      });
      if (hit) {
        what = `Container ${hit.name} for pod ${ns}/${name} failed with exit code ${hit.state!.terminated!.exitCode}`;
      }
    } else if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c) =>
        rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status),
      );
      if (cond) what = `Pod ${ns}/${name} has condition ${cond.type}`;
    }
    if (what === undefined) continue;
    if (rule.action === 'Ignore') return { countFailed: false };
    if (rule.action === 'Count') return { countFailed: true };
    if (rule.action === 'FailJob') {
      return {
        countFailed: true,
        failJobMessage: `${what} matching ${rule.action} rule at index ${index}`,
      };
    }
  }
  return { countFailed: true };
}
