import type { KubeObject } from '../../api/index.ts';
import { compare } from './membership.ts';
import {
  findPort,
  isIPv6,
  isPodReady,
  podIPs,
  podReference,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pods.ts';
import { canonical } from './semantic.ts';
import { podSpec, serviceSpec, type PodReference, type ServicePort } from './types.ts';

// The subsets of a service's Endpoints, as the endpoints controller of
// kube-controller-manager computes them: one subset per pod and service port, then
// RepackSubsets groups ports offered by exactly the same addresses (with the same
// readiness) into one subset.

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: PodReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** The Endpoints API's limit on addresses; beyond it the object is truncated. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

export function desiredSubsets(service: KubeObject, pods: KubeObject[]): EndpointSubset[] {
  const spec = serviceSpec(service);
  // publishNotReadyAddresses: every pod counts as ready, even one being deleted.
  const tolerateUnready = !!spec.publishNotReadyAddresses;
  const parts: EndpointSubset[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const address = addressFor(service, pod);
    if (!address) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const ports = spec.ports ?? [];
    if (ports.length === 0) {
      // Only a headless service may go without ports.
      if (spec.clusterIP === 'None') parts.push(subset(address, undefined, ready));
      continue;
    }
    for (const servicePort of ports) {
      const port = findPort(pod, servicePort);
      // A pod lacking a named target port is left out for that port only.
      if (port !== undefined) parts.push(subset(address, endpointPort(servicePort, port), ready));
    }
  }
  return repackSubsets(parts);
}

function subset(address: EndpointAddress, port: EndpointPort | undefined, ready: boolean) {
  const ports = port ? [port] : [];
  return ready ? { addresses: [address], ports } : { notReadyAddresses: [address], ports };
}

/**
 * podToEndpointAddressForService: the pod's IP of the service's (first) family; the
 * family comes from spec.ipFamilies, else the cluster IP, else (headless) the pod's IP.
 */
function addressFor(service: KubeObject, pod: KubeObject): EndpointAddress | undefined {
  const spec = serviceSpec(service);
  const ips = podIPs(pod);
  let v6: boolean;
  if (spec.ipFamilies && spec.ipFamilies.length > 0) v6 = spec.ipFamilies[0] === 'IPv6';
  else if (spec.clusterIP && spec.clusterIP !== 'None') v6 = isIPv6(spec.clusterIP);
  else v6 = isIPv6(ips[0] ?? '');
  const ip = ips.find((candidate) => isIPv6(candidate) === v6);
  if (!ip) return undefined;
  const { nodeName, hostname } = podSpec(pod);
  return {
    ip,
    ...(hostname && shouldSetHostname(pod, service) ? { hostname } : {}),
    ...(nodeName ? { nodeName } : {}),
    targetRef: podReference(pod),
  };
}

function endpointPort(servicePort: ServicePort, port: number): EndpointPort {
  return {
    ...(servicePort.name ? { name: servicePort.name } : {}),
    port,
    protocol: servicePort.protocol ?? 'TCP',
    ...(servicePort.appProtocol !== undefined ? { appProtocol: servicePort.appProtocol } : {}),
  };
}

/**
 * RepackSubsets: maps each port to the addresses offering it (an address not ready for
 * any one port is not ready for it), then gathers the ports whose address sets are
 * equal into one subset. Subsets without ports (headless) are kept under a sentinel.
 * Kubernetes sorts ports and subsets by hash; any fixed order does, as long as the same
 * input always gives the same output.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const SENTINEL = '';
  const addresses = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port?: EndpointPort; ready: Map<string, boolean> }>();
  for (const ss of subsets) {
    const ports: (EndpointPort | undefined)[] = ss.ports?.length ? ss.ports : [undefined];
    for (const port of ports) {
      const portKey = port ? canonical(port) : SENTINEL;
      let entry = byPort.get(portKey);
      if (!entry) byPort.set(portKey, (entry = { port, ready: new Map() }));
      const add = (addr: EndpointAddress, ready: boolean) => {
        const key = `${addr.ip}\n${addr.targetRef?.uid ?? ''}`;
        if (!addresses.has(key)) addresses.set(key, addr);
        // Not ready trumps ready.
        if (entry.ready.get(key) !== false) entry.ready.set(key, ready);
      };
      for (const addr of ss.addresses ?? []) add(addr, true);
      for (const addr of ss.notReadyAddresses ?? []) add(addr, false);
    }
  }
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const setKey = JSON.stringify([...ready].sort(([a], [b]) => compare(a, b)));
    let group = groups.get(setKey);
    if (!group) groups.set(setKey, (group = { ready, ports: [] }));
    if (port) group.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const { ready, ports } of groups.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReadyAddrs: EndpointAddress[] = [];
    for (const [key, isReady] of ready) {
      (isReady ? readyAddrs : notReadyAddrs).push(addresses.get(key)!);
    }
    out.push({
      ...(readyAddrs.length > 0 ? { addresses: readyAddrs.sort(byIPAndUID) } : {}),
      ...(notReadyAddrs.length > 0 ? { notReadyAddresses: notReadyAddrs.sort(byIPAndUID) } : {}),
      ...(ports.length > 0 ? { ports: ports.sort(byCanonical) } : {}),
    });
  }
  return out.sort(byCanonical);
}

/** LessEndpointAddress: IPs byte by byte, then target UIDs. */
function byIPAndUID(a: EndpointAddress, b: EndpointAddress): number {
  return compare(a.ip, b.ip) || compare(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
}

function byCanonical(a: object, b: object): number {
  return compare(canonical(a), canonical(b));
}

/**
 * truncateEndpoints: at most MAX_ENDPOINTS_ADDRESSES addresses. Not-ready addresses go
 * first; if the ready ones alone are too many, all not-ready ones go and every subset
 * keeps its proportional share of ready ones (rounded up, the last ones getting less).
 */
export function truncateSubsets(subsets: EndpointSubset[]): {
  subsets: EndpointSubset[];
  truncated: boolean;
} {
  const count = (f: 'addresses' | 'notReadyAddresses') =>
    subsets.reduce((n, ss) => n + (ss[f]?.length ?? 0), 0);
  const totalReady = count('addresses');
  const totalNotReady = count('notReadyAddresses');
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_ADDRESSES) return { subsets, truncated: false };
  const truncateReady = totalReady > MAX_ENDPOINTS_ADDRESSES;
  const max = truncateReady ? MAX_ENDPOINTS_ADDRESSES : MAX_ENDPOINTS_ADDRESSES - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  const out: EndpointSubset[] = [];
  for (const ss of subsets) {
    const field = truncateReady ? 'addresses' : 'notReadyAddresses';
    const inSubset = ss[field]?.length ?? 0;
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    const kept = (ss[field] ?? []).slice(0, toBeAdded);
    canBeAdded -= kept.length;
    const next: EndpointSubset = truncateReady
      ? { addresses: kept, ports: ss.ports }
      : { addresses: ss.addresses, notReadyAddresses: kept, ports: ss.ports };
    // Kubernetes would keep a subset left without addresses, which validation rejects.
    if ((next.addresses?.length ?? 0) + (next.notReadyAddresses?.length ?? 0) === 0) continue;
    out.push(withoutEmpty(next));
  }
  return { subsets: out, truncated: true };
}

function withoutEmpty(ss: EndpointSubset): EndpointSubset {
  return {
    ...(ss.addresses?.length ? { addresses: ss.addresses } : {}),
    ...(ss.notReadyAddresses?.length ? { notReadyAddresses: ss.notReadyAddresses } : {}),
    ...(ss.ports?.length ? { ports: ss.ports } : {}),
  };
}
