import type { V1EndpointSlice, V1Service } from 'kubernetes-client-node-v1.32';
import type { ProxyEndpoint, ProxyTable, ServicePortRule, ServiceProtocol } from './types.ts';

// Services and EndpointSlices (as informers hand them over: plain JSON) to the routing
// table a data plane applies, following kube-proxy's ServicePort and endpoint readers
// (pkg/proxy/service.go, endpointslicecache.go). Pure and deterministic: the same objects
// in any order give an equal table, so the controller can skip applies that change nothing.

/** The client library's models; only fields without timestamps are read, so JSON fits. */
export type Service = V1Service;
export type EndpointSlice = V1EndpointSlice;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** `sessionAffinityConfig.clientIP.timeoutSeconds` when absent: three hours, as Kubernetes. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

const byAddress = new Intl.Collator('en', { numeric: true });

export function computeProxyTable(
  services: readonly Service[],
  endpointSlices: readonly EndpointSlice[],
  nodeName: string,
): ProxyTable {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const slice of endpointSlices) {
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!name || slice.addressType === 'FQDN') continue;
    const key = `${slice.metadata?.namespace ?? ''}/${name}`;
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }

  const rules: ServicePortRule[] = [];
  for (const svc of services) {
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? '']).filter(
      (ip) => ip !== '' && ip !== 'None',
    );
    if (clusterIPs.length === 0) continue;

    const slices = slicesByService.get(`${namespace}/${name}`) ?? [];
    const hasNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const loadBalancerIPs =
      spec.type === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? [])
            // ipMode Proxy: the balancer proxies to node ports itself and the IP must not
            // be captured on the node (KEP-1860), as kube-proxy skips it.
            .filter((ing) => ing.ip && ing.ipMode !== 'Proxy')
            .map((ing) => ing.ip!)
        : [];
    const affinityTimeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;

    for (const port of spec.ports ?? []) {
      const portName = port.name ?? '';
      const protocol = (port.protocol ?? 'TCP') as ServiceProtocol;
      rules.push({
        id: portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`,
        namespace,
        name,
        portName,
        protocol,
        clusterIPs,
        port: port.port,
        nodePort: hasNodePorts ? (port.nodePort ?? 0) : 0,
        externalIPs: [...(spec.externalIPs ?? [])],
        loadBalancerIPs,
        sessionAffinity:
          spec.sessionAffinity === 'ClientIP'
            ? { timeoutSeconds: affinityTimeout ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS }
            : null,
        externalLocalOnly: spec.externalTrafficPolicy === 'Local',
        internalLocalOnly: spec.internalTrafficPolicy === 'Local',
        endpoints: endpointsFor(slices, portName, protocol, nodeName),
      });
    }
  }
  rules.sort((a, b) => compare(a.id, b.id) || compare(a.protocol, b.protocol));
  return { services: rules };
}

/**
 * The endpoints new connections may go to: the ready ones, or when none is ready, the
 * serving ones that are terminating, so a rolling update of a single replica does not
 * drop connections (kube-proxy's terminating-endpoint fallback).
 */
function endpointsFor(
  slices: readonly EndpointSlice[],
  portName: string,
  protocol: ServiceProtocol,
  nodeName: string,
): ProxyEndpoint[] {
  const ready = new Map<string, ProxyEndpoint>();
  const terminating = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    const port = slice.ports?.find(
      (p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol,
    );
    // A slice port without a number means "all ports", which services never use.
    if (port?.port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      // Consumers use the first address only (discovery/v1 EndpointSlice contract).
      const ip = ep.addresses?.[0];
      if (!ip) continue;
      const isReady = ep.conditions?.ready !== false;
      const serving = ep.conditions?.serving ?? isReady;
      const into = isReady ? ready : serving && ep.conditions?.terminating ? terminating : null;
      const key = `${ip}:${port.port}`;
      if (!into || into.has(key)) continue;
      into.set(key, {
        ip,
        port: port.port,
        ...(ep.nodeName ? { nodeName: ep.nodeName } : {}),
        isLocal: ep.nodeName !== undefined && ep.nodeName === nodeName,
      });
    }
  }
  const chosen = ready.size > 0 ? ready : terminating;
  return [...chosen.values()].sort((a, b) => byAddress.compare(a.ip, b.ip) || a.port - b.port);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
