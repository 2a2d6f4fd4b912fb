import type { KubeObject, OwnerReference } from '../../api/index.ts';
import type { ResourceRef } from '../../client/index.ts';
import type { KindInfo, PodTemplate } from './kinds.ts';

// Pod facts the controller decides by, as pkg/controller/controller_utils.go and
// pkg/api/v1/pod define them.

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string | null;
}

export interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: { restartCount?: number }[];
}

export function statusOf(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

export function nodeNameOf(pod: KubeObject): string {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
}

/** `namespace/name`: controller.PodKey. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = statusOf(pod).phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: KubeObject): PodCondition | undefined {
  return statusOf(pod).conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** When the pod last became Ready; 0 (Go's zero time) if it is not ready or never said. */
export function readySince(pod: KubeObject): number {
  return isPodReady(pod) ? timeOf(readyCondition(pod)?.lastTransitionTime) : 0;
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

/** metav1.GetControllerOf: the owner reference with `controller: true`. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject, info: KindInfo): OwnerReference {
  return {
    apiVersion: info.apiVersion,
    kind: info.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The longest a name may be; a generateName prefix is checked as if its dash were a letter. */
const MAX_NAME_LENGTH = 253;

/**
 * GetPodFromTemplate: labels, annotations and finalizers of the template, the spec as is,
 * `generateName: <owner>-` and the controller reference. Copies everything it takes.
 */
export function podFromTemplate(
  owner: KubeObject,
  template: PodTemplate,
  controllerRef: OwnerReference,
): KubeObject {
  const name = owner.metadata?.name ?? '';
  const meta = template.metadata ?? {};
  const metadata: Record<string, unknown> = {
    generateName: name.length + 1 <= MAX_NAME_LENGTH ? `${name}-` : name,
  };
  if (meta.labels && Object.keys(meta.labels).length > 0) metadata.labels = { ...meta.labels };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) {
    metadata.annotations = { ...meta.annotations };
  }
  if (meta.finalizers && meta.finalizers.length > 0) metadata.finalizers = [...meta.finalizers];
  metadata.ownerReferences = [{ ...controllerRef }];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: structuredClone(template.spec ?? {}),
  };
}
