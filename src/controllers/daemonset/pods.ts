import type { KubeObject } from '../../api/index.ts';

// Pod facts the controller decides by, as pkg/api/v1/pod and the daemon package define them.

interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string | null;
}

export function phaseOf(pod: KubeObject): string | undefined {
  return (pod.status as { phase?: string } | undefined)?.phase;
}

export function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
}

/** `namespace/name`: controller.PodKey. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** podutil.IsPodTerminal: Succeeded or Failed. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

function readyCondition(pod: KubeObject): PodCondition | undefined {
  const conditions = (pod.status as { conditions?: PodCondition[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** podutil.IsPodAvailable: ready, and for longer than minReadySeconds. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds === 0) return true;
  const since = timeOf(readyCondition(pod)?.lastTransitionTime);
  return since !== 0 && since + minReadySeconds * 1000 < now;
}

/** Milliseconds since the epoch of an RFC 3339 time; 0 when absent or unreadable. */
export function timeOf(value: string | null | undefined): number {
  if (!value) return 0;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * podByCreationTimestampAndPhase: scheduled pods first, then older first, then by name.
 * Use with `[...pods].sort(...)`: cached arrays are shared.
 */
export function byCreationTimestampAndPhase(a: KubeObject, b: KubeObject): number {
  const aScheduled = nodeNameOf(a) !== '';
  const bScheduled = nodeNameOf(b) !== '';
  if (aScheduled !== bScheduled) return aScheduled ? -1 : 1;
  const at = timeOf(a.metadata?.creationTimestamp);
  const bt = timeOf(b.metadata?.creationTimestamp);
  if (at !== bt) return at - bt;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}
