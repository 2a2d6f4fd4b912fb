import { isIPv4 } from 'node:net';
import type { ProxyTable, ServicePortRule } from '../types.ts';

// UDP has no connection to end: the kernel keeps a conntrack entry per client flow, and
// every datagram of that flow follows the entry's NAT, not the rules. When an endpoint
// goes, its flows keep going to it (a DNS client retrying to a dead pod) until the entry
// idles out; when a service that had no endpoints gets one, flows rejected meanwhile keep
// being rejected. kube-proxy therefore deletes those entries after a sync
// (pkg/proxy/conntrack/cleanup.go); so does wharf, with conntrack(8) from the same
// filters. TCP needs none of this: a dead endpoint resets or times out the connection.

/** One `conntrack -D` invocation's filter, as its argument list after `-D`. */
export type ConntrackFilter = string[];

const UDP = ['-p', 'udp'];

function serviceIPs(svc: ServicePortRule): string[] {
  return [...svc.clusterIPs, ...svc.externalIPs, ...svc.loadBalancerIPs].filter((ip) => isIPv4(ip));
}

/**
 * The flows to delete after `next` replaced `prev`: for each UDP service port, the flows
 * to an endpoint it no longer has (by service address and by node port), and all flows
 * to a service port that had no endpoints and now has some. Deduplicated, sorted.
 */
export function staleUdpFlows(prev: ProxyTable | undefined, next: ProxyTable): ConntrackFilter[] {
  if (!prev) return [];
  const before = new Map(prev.services.map((s) => [s.id, s]));
  const filters = new Map<string, ConntrackFilter>();
  const add = (f: ConntrackFilter) => filters.set(f.join(' '), f);
  const nextById = new Map(next.services.map((s) => [s.id, s]));
  for (const old of prev.services) {
    if (old.protocol !== 'UDP') continue;
    const now = nextById.get(old.id);
    const kept = new Set((now?.endpoints ?? []).map((e) => e.ip));
    for (const ep of old.endpoints) {
      if (kept.has(ep.ip) || !isIPv4(ep.ip)) continue;
      for (const ip of serviceIPs(old)) {
        add(['--orig-dst', ip, ...UDP, '--dport', String(old.port), '--dst-nat', ep.ip]);
      }
      if (old.nodePort) add([...UDP, '--dport', String(old.nodePort), '--dst-nat', ep.ip]);
    }
  }
  for (const svc of next.services) {
    if (svc.protocol !== 'UDP' || svc.endpoints.length === 0) continue;
    if ((before.get(svc.id)?.endpoints.length ?? 0) > 0) continue;
    for (const ip of serviceIPs(svc)) add(['--orig-dst', ip, ...UDP, '--dport', String(svc.port)]);
    if (svc.nodePort) add([...UDP, '--dport', String(svc.nodePort)]);
  }
  return [...filters.keys()].sort().map((k) => filters.get(k)!);
}
