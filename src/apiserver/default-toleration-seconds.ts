import type { KubeObject } from '../api/index.ts';

// kube-apiserver's DefaultTolerationSeconds admission plugin: a pod that does not tolerate
// node.kubernetes.io/not-ready:NoExecute (or .../unreachable:NoExecute) gets a toleration
// of it for --default-not-ready-toleration-seconds (--default-unreachable-toleration-
// seconds), 300 s by default; so pods on a node that failed are evicted after five minutes
// instead of at once. A toleration with an empty key or empty effect counts as tolerating
// (whatever its operator or value), as in Kubernetes. Runs on pod creates and updates.

export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';
export const DEFAULT_TOLERATION_SECONDS = 300;

export interface DefaultTolerationSecondsOptions {
  /** --default-not-ready-toleration-seconds; default 300. */
  notReadySeconds?: number;
  /** --default-unreachable-toleration-seconds; default 300. */
  unreachableSeconds?: number;
}

interface Toleration {
  key?: string;
  effect?: string;
}

function tolerates(tolerations: unknown[], key: string): boolean {
  return tolerations.some((t) => {
    if (!t || typeof t !== 'object') return false;
    const { key: k, effect } = t as Toleration;
    return (!k || k === key) && (!effect || effect === 'NoExecute');
  });
}

/** Adds the missing default tolerations to `pod` in place; idempotent. */
export function admitDefaultTolerationSeconds(
  pod: KubeObject,
  opts: DefaultTolerationSecondsOptions = {},
): void {
  pod.spec ??= {};
  const spec = pod.spec as Record<string, unknown>;
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as unknown[]) : [];
  const wanted: [string, number][] = [
    [NOT_READY_TAINT_KEY, opts.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS],
    [UNREACHABLE_TAINT_KEY, opts.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS],
  ];
  const missing = wanted.filter(([key]) => !tolerates(tolerations, key));
  if (missing.length === 0) return;
  spec.tolerations = [
    ...tolerations,
    ...missing.map(([key, seconds]) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: seconds,
    })),
  ];
}
