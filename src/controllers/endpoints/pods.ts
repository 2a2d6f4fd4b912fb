import type { KubeObject } from '../../api/index.ts';
import {
  podSpec,
  podStatus,
  serviceSpec,
  type ContainerPort,
  type PodReference,
  type ServicePort,
} from './types.ts';

// Which pods back a service, and at which address and port: Kubernetes' podutil and
// endpointslice util helpers, shared by both endpoint controllers.

export function isPodReady(pod: KubeObject): boolean {
  return !!podStatus(pod).conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** When the Ready condition last changed: what made the endpoints change. */
export function readyTransitionTime(pod: KubeObject): number {
  const ready = podStatus(pod).conditions?.find((c) => c.type === 'Ready');
  return Date.parse(ready?.lastTransitionTime ?? '') || 0;
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod's IPs; `podIPs` is the source of truth, `podIP` its first entry. */
export function podIPs(pod: KubeObject): string[] {
  const status = podStatus(pod);
  const ips = (status.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length > 0) return ips;
  return status.podIP ? [status.podIP] : [];
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/**
 * ShouldPodBeInEndpoints: running (not terminal), with an IP, and, unless
 * `includeTerminating`, not being deleted.
 */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPs(pod).length === 0) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

/** A pod gets its hostname published by the service named as its subdomain. */
export function shouldSetHostname(pod: KubeObject, svc: KubeObject): boolean {
  const spec = podSpec(pod);
  return (
    !!spec.hostname &&
    spec.subdomain === svc.metadata?.name &&
    svc.metadata?.namespace === pod.metadata?.namespace
  );
}

/**
 * podutil.FindPort: a numeric target port as is; a named one is looked up among the
 * containers' ports (and those of sidecar init containers) with the service port's
 * protocol. Undefined when the pod has no such port.
 */
export function findPort(pod: KubeObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  const spec = podSpec(pod);
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const container of [...(spec.containers ?? []), ...sidecars]) {
    const match = (container.ports ?? []).find(
      (p: ContainerPort) => p.name === target && (p.protocol ?? 'TCP') === protocol,
    );
    if (match) return match.containerPort;
  }
  return undefined;
}

export function podReference(pod: KubeObject): PodReference {
  const { namespace = '', name = '', uid = '' } = pod.metadata ?? {};
  return { kind: 'Pod', namespace, name, uid };
}

/** helper.IsServiceIPSet: a cluster IP other than None. */
export function isServiceIPSet(svc: KubeObject): boolean {
  const ip = serviceSpec(svc).clusterIP;
  return !!ip && ip !== 'None';
}
