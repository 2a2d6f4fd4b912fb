import {
  toleratesTaint,
  tolerationsTolerateTaint,
  type Taint,
  type Toleration,
} from '../../../api/scheduling/index.ts';

// Toleration matching itself (toleratesTaint) lives in api/scheduling, shared with the
// DaemonSet controller.

export { toleratesTaint, tolerationsTolerateTaint };

/** The taints a pod must tolerate to be placed: NoSchedule and NoExecute. */
export function isDoNotScheduleTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/** The first NoSchedule/NoExecute taint the tolerations do not tolerate, if any. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (isDoNotScheduleTaint(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}
