import type { KubeObject } from '../../api/index.ts';
import { objectKey, type IndexFunc, type StoreReader } from '../../client/index.ts';
import { isPodReady, podIPs } from './pods.ts';
import { podSpec, serviceSpec } from './types.ts';

// Which services a pod change concerns (endpointslice util's GetPodServiceMemberships and
// GetServicesToUpdateOnPodChange), over a services cache indexed by namespace.

/** Services (and pods) by namespace; shared by both endpoint controllers. */
export const BY_NAMESPACE = 'endpoints/namespace';

const byNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

/** Adds the namespace index unless a controller sharing the informer already did. */
export function ensureNamespaceIndex(store: StoreReader): void {
  try {
    store.byIndex(BY_NAMESPACE, '');
  } catch {
    store.addIndexer(BY_NAMESPACE, byNamespace);
  }
}

/**
 * The service's pod selector, or undefined when it selects nothing. A nil selector means
 * "no pods" in Kubernetes; an empty map cannot survive the API server's round trip
 * there (it is dropped as empty), so it means no selector here too.
 */
export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  const selector = serviceSpec(svc).selector;
  return selector && Object.keys(selector).length > 0 ? selector : undefined;
}

export function selects(selector: Record<string, string>, pod: KubeObject): boolean {
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Keys of the services in the pod's namespace whose selector matches it. */
export function podServiceMemberships(services: StoreReader, pod: KubeObject): Set<string> {
  const keys = new Set<string>();
  for (const svc of services.byIndex(BY_NAMESPACE, pod.metadata?.namespace ?? '')) {
    const selector = serviceSelector(svc);
    if (selector && selects(selector, pod)) keys.add(objectKey(svc));
  }
  return keys;
}

/** Pods of the namespace the service selects (none without a selector). */
export function selectedPods(pods: StoreReader, svc: KubeObject): KubeObject[] {
  const selector = serviceSelector(svc);
  if (!selector) return [];
  return pods
    .byIndex(BY_NAMESPACE, svc.metadata?.namespace ?? '')
    .filter((pod) => selects(selector, pod))
    .sort((a, b) => compare(a.metadata?.name ?? '', b.metadata?.name ?? ''));
}

/** The services whose endpoints a pod update may change. */
export function servicesToUpdateOnPodChange(
  services: StoreReader,
  old: KubeObject,
  pod: KubeObject,
): Set<string> {
  if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return new Set();
  const { podChanged, labelsChanged } = podEndpointsChanged(old, pod);
  if (!podChanged && !labelsChanged) return new Set();
  const current = podServiceMemberships(services, pod);
  if (!labelsChanged) return current;
  const previous = podServiceMemberships(services, old);
  // Labels and endpoint both changed: every service, old and new, needs a look. Only
  // labels: just the services the pod joined or left.
  if (podChanged) return new Set([...current, ...previous]);
  const joinedOrLeft = new Set<string>();
  for (const key of current) if (!previous.has(key)) joinedOrLeft.add(key);
  for (const key of previous) if (!current.has(key)) joinedOrLeft.add(key);
  return joinedOrLeft;
}

/**
 * podEndpointsChanged. "Labels" includes hostname and subdomain, which decide the
 * hostname an endpoint carries. Name, namespace and UID are immutable, and the node name
 * is set before the pod gets an IP. Unlike Kubernetes the phase is compared too: a pod
 * turning terminal leaves the endpoints even if its Ready condition lags.
 */
function podEndpointsChanged(old: KubeObject, pod: KubeObject) {
  const labelsChanged =
    !sameMap(old.metadata?.labels, pod.metadata?.labels) ||
    podSpec(old).hostname !== podSpec(pod).hostname ||
    podSpec(old).subdomain !== podSpec(pod).subdomain;
  const oldIPs = podIPs(old);
  const newIPs = podIPs(pod);
  const podChanged =
    (old.metadata?.deletionTimestamp ?? '') !== (pod.metadata?.deletionTimestamp ?? '') ||
    isPodReady(old) !== isPodReady(pod) ||
    (old.status as { phase?: string } | undefined)?.phase !==
      (pod.status as { phase?: string } | undefined)?.phase ||
    oldIPs.length !== newIPs.length ||
    oldIPs.some((ip, i) => ip !== newIPs[i]);
  return { podChanged, labelsChanged };
}

function sameMap(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
