import { isIPv4 } from 'node:net';
import type { ProxyEndpoint, ProxyTable, ServicePortRule } from '../types.ts';
import {
  chainName,
  FIREWALL,
  FIXED_CHAINS,
  FORWARD,
  FORWARD_MARK,
  MARK_MASQ,
  MASQ_MARK,
  NODEPORTS,
  POSTROUTING,
  SERVICES,
  type TableName,
} from './chains.ts';

// The rules kube-proxy's iptables mode writes for a table, as chain → rule specs. IPv4
// only: IPv6 addresses in the table are skipped (ip6tables would need its own plane).
//
// Path of a new connection, in nat (PREROUTING from pods and outside, OUTPUT from the host):
//   WHARF-SERVICES --cluster IP--> SVC (or SVL for internalTrafficPolicy Local)
//                  --external/LB IP, or local address via WHARF-NODEPORTS--> EXT
//   EXT --> SVC (or SVL for externalTrafficPolicy Local, except host-local sources)
//   SVC/SVL --affinity hit, else random by probability 1/n, 1/(n-1), ..., 1--> SEP --DNAT-->
//
// Every cluster IP connection and every external one bound for any node-wide endpoint is
// masqueraded (kube-proxy's masquerade-all). wharf knows no pod CIDR that would let it
// tell pod traffic from the rest, its pods sit on two bridges (Docker's and wharf0), host
// processes use the VIPs too (their source may be 127.0.0.1 for node ports), and a pod
// reaching itself through its service (hairpin) needs the reply to come back through the
// node: masquerading all of it is the one choice correct in every case. Only connections
// from outside to an `externalTrafficPolicy: Local` service keep their source, which is
// that policy's point.
//
// Service ports with nowhere to go never reach DNAT; the filter table then refuses them
// (REJECT, so clients fail fast with ECONNREFUSED instead of timing out), or drops them
// for external traffic to a Local-policy service without local endpoints, as kube-proxy.

export type RuleSet = Record<TableName, Map<string, string[]>>;

const REJECT = '-j REJECT --reject-with icmp-port-unreachable';

/** Every chain wharf owns and its rules, for `table`. Fixed chains come first, then per service. */
export function serviceRules(table: ProxyTable): RuleSet {
  const rules: RuleSet = { nat: new Map(), filter: new Map() };
  for (const t of ['nat', 'filter'] as const) for (const c of FIXED_CHAINS[t]) rules[t].set(c, []);
  const nat = (chain: string, ...specs: string[]) => add(rules.nat, chain, specs);
  const filter = (chain: string, ...specs: string[]) => add(rules.filter, chain, specs);

  nat(MARK_MASQ, `-j MARK --or-mark ${MASQ_MARK}`);
  nat(
    POSTROUTING,
    `-m mark --mark ${FORWARD_MARK}/${FORWARD_MARK} -j MARK --xor-mark ${FORWARD_MARK}`,
    `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    // Cleared so that a packet traversing the stack again is not masqueraded twice.
    `-j MARK --xor-mark ${MASQ_MARK}`,
    '-m comment --comment "wharf service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );
  filter(
    FORWARD,
    `-m comment --comment "wharf forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    `-m comment --comment "wharf forwarding rules" -m mark --mark ${FORWARD_MARK}/${FORWARD_MARK} -j ACCEPT`,
    '-m comment --comment "wharf forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  filter(
    FIREWALL,
    '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  );

  for (const svc of table.services) servicePortRules(svc, nat, filter);

  nat(
    SERVICES,
    '-m comment --comment "wharf service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j WHARF-NODEPORTS',
  );
  return rules;
}

type Add = (chain: string, ...specs: string[]) => void;

function servicePortRules(svc: ServicePortRule, nat: Add, filter: Add): void {
  const proto = svc.protocol.toLowerCase();
  const dport = (port: number) => `-p ${proto} -m ${proto} --dport ${port}`;
  const dest = (ip: string) => `-d ${ip}/32 ${dport(svc.port)}`;
  const comment = (what: string) => `-m comment --comment "${svc.id}${what ? ` ${what}` : ''}"`;

  const clusterIPs = svc.clusterIPs.filter((ip) => isIPv4(ip));
  const externalIPs = svc.externalIPs.filter((ip) => isIPv4(ip));
  const lbIPs = svc.loadBalancerIPs.filter((ip) => isIPv4(ip));
  const all = svc.endpoints.filter((ep) => isIPv4(ep.ip));
  const local = all.filter((ep) => ep.isLocal);
  const hasExternal = svc.nodePort > 0 || externalIPs.length > 0 || lbIPs.length > 0;

  const svcChain = chainName('SVC', svc.id, proto);
  const svlChain = chainName('SVL', svc.id, proto);
  const extChain = chainName('EXT', svc.id, proto);
  const internal = svc.internalLocalOnly
    ? { chain: svlChain, eps: local }
    : { chain: svcChain, eps: all };

  if (all.length === 0) {
    for (const ip of clusterIPs)
      filter(SERVICES, `${dest(ip)} ${comment('has no endpoints')} ${REJECT}`);
    for (const ip of [...externalIPs, ...lbIPs])
      filter(SERVICES, `${dest(ip)} ${comment('has no endpoints')} ${REJECT}`);
    if (svc.nodePort > 0)
      filter(
        SERVICES,
        `-m addrtype --dst-type LOCAL ${dport(svc.nodePort)} ${comment('has no endpoints')} ${REJECT}`,
      );
    return;
  }

  // Entry points in WHARF-SERVICES and WHARF-NODEPORTS.
  for (const ip of clusterIPs) {
    if (internal.eps.length > 0)
      nat(SERVICES, `${dest(ip)} ${comment('cluster IP')} -j ${internal.chain}`);
    else filter(SERVICES, `${dest(ip)} ${comment('has no local endpoints')} ${REJECT}`);
  }
  if (hasExternal) {
    for (const ip of externalIPs)
      nat(SERVICES, `${dest(ip)} ${comment('external IP')} -j ${extChain}`);
    for (const ip of lbIPs)
      nat(SERVICES, `${dest(ip)} ${comment('loadbalancer IP')} -j ${extChain}`);
    if (svc.nodePort > 0) nat(NODEPORTS, `${dport(svc.nodePort)} ${comment('')} -j ${extChain}`);
    if (svc.externalLocalOnly && local.length === 0) {
      // Host-local clients still reach the service through the cluster chain (EXT below);
      // their packets are DNATed before filter sees them, so these drops miss them.
      const drop = `${comment('has no local endpoints')} -j DROP`;
      for (const ip of [...externalIPs, ...lbIPs]) filter(SERVICES, `${dest(ip)} ${drop}`);
      if (svc.nodePort > 0)
        filter(SERVICES, `-m addrtype --dst-type LOCAL ${dport(svc.nodePort)} ${drop}`);
    }
  }

  // EXT: external destinations, by externalTrafficPolicy.
  if (hasExternal) {
    if (!svc.externalLocalOnly) {
      nat(
        extChain,
        `-m comment --comment "masquerade traffic for ${svc.id} external destinations" -j ${MARK_MASQ}`,
        `-j ${svcChain}`,
      );
    } else {
      // The host's own connections to its node ports or LB IPs have a local source that
      // no reply could reach once DNATed: they go cluster-wide, masqueraded, as kube-proxy.
      nat(
        extChain,
        `-m comment --comment "masquerade LOCAL traffic for ${svc.id} external destinations" -m addrtype --src-type LOCAL -j ${MARK_MASQ}`,
        `-m comment --comment "route LOCAL traffic for ${svc.id} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`,
      );
      if (local.length > 0) nat(extChain, `-j MARK --or-mark ${FORWARD_MARK}`, `-j ${svlChain}`);
    }
  }

  // SVC (all endpoints) when some path uses it; SVL (this node's) likewise.
  const usesCluster = !svc.internalLocalOnly || hasExternal;
  const usesLocal =
    local.length > 0 && (svc.internalLocalOnly || (hasExternal && svc.externalLocalOnly));
  const used = new Map<string, ProxyEndpoint>();
  for (const [chain, eps, isInternal] of [
    [svcChain, all, !svc.internalLocalOnly],
    [svlChain, local, svc.internalLocalOnly],
  ] as const) {
    if (chain === svcChain ? !usesCluster : !usesLocal) continue;
    if (isInternal)
      for (const ip of clusterIPs)
        nat(chain, `${dest(ip)} ${comment('cluster IP')} -j ${MARK_MASQ}`);
    balance(svc, eps, chain, proto, nat);
    for (const ep of eps) used.set(`${ep.ip}:${ep.port}`, ep);
  }
  for (const ep of used.values()) endpointRules(svc, ep, proto, nat);
}

/** Spreads new connections evenly: endpoint i of n is picked with probability 1/(n-i). */
function balance(
  svc: ServicePortRule,
  eps: ProxyEndpoint[],
  chain: string,
  proto: string,
  nat: Add,
) {
  const sep = (ep: ProxyEndpoint) => chainName('SEP', svc.id, proto, `${ep.ip}:${ep.port}`);
  const comment = (ep: ProxyEndpoint) => `-m comment --comment "${svc.id} -> ${ep.ip}:${ep.port}"`;
  if (svc.sessionAffinity) {
    const seconds = svc.sessionAffinity.timeoutSeconds;
    for (const ep of eps)
      nat(
        chain,
        `${comment(ep)} -m recent --name ${sep(ep)} --rcheck --seconds ${seconds} --reap -j ${sep(ep)}`,
      );
  }
  eps.forEach((ep, i) => {
    const left = eps.length - i;
    const pick =
      left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
    nat(chain, `${comment(ep)}${pick} -j ${sep(ep)}`);
  });
}

function endpointRules(svc: ServicePortRule, ep: ProxyEndpoint, proto: string, nat: Add) {
  const chain = chainName('SEP', svc.id, proto, `${ep.ip}:${ep.port}`);
  const comment = `-m comment --comment "${svc.id}"`;
  const remember = svc.sessionAffinity
    ? ` -m recent --set --name ${chain} --mask 255.255.255.255 --rsource`
    : '';
  nat(
    chain,
    `-s ${ep.ip}/32 ${comment} -j ${MARK_MASQ}`,
    `-p ${proto} ${comment}${remember} -j DNAT --to-destination ${ep.ip}:${ep.port}`,
  );
}

function add(chains: Map<string, string[]>, chain: string, specs: string[]): void {
  const rules = chains.get(chain);
  if (rules) rules.push(...specs);
  else chains.set(chain, [...specs]);
}
