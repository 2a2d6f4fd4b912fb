import { readResolvConf, type ResolvConf } from '../../network/index.ts';
import type { Pod } from '../k8s-types.ts';
import type { DnsConfig } from '../runtime/types.ts';

// The resolver a pod gets, as the kubelet decides it from `dnsPolicy` and `dnsConfig`:
// ClusterFirst pods ask the cluster DNS with the namespace's search list and ndots:5;
// host-network pods (unless ClusterFirstWithHostNet) and `Default` use the node's
// resolver; `None` uses only dnsConfig. Without a cluster DNS, ClusterFirst falls back
// to the node's resolver, as the kubelet does.

export interface ClusterDnsSettings {
  servers: string[];
  /** The cluster domain, `cluster.local`. */
  domain: string;
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export function podDnsConfig(
  pod: Pod,
  cluster: ClusterDnsSettings | undefined,
  host: DnsConfig = hostResolvConf(),
): DnsConfig | undefined {
  const spec: Partial<NonNullable<Pod['spec']>> = pod.spec ?? {};
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const extra = spec.dnsConfig;
  let base: DnsConfig | undefined;
  const clusterFirst =
    policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork);
  if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  } else if (clusterFirst && cluster && cluster.servers.length > 0) {
    const ns = pod.metadata?.namespace ?? 'default';
    base = {
      servers: [...cluster.servers],
      searches: [
        `${ns}.svc.${cluster.domain}`,
        `svc.${cluster.domain}`,
        cluster.domain,
        ...host.searches,
      ],
      options: ['ndots:5'],
    };
  } else if (!extra) {
    // The runtime's default is the node's resolver.
    return undefined;
  } else {
    base = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  }
  if (extra) {
    base.servers = dedupe([...base.servers, ...(extra.nameservers ?? [])]);
    base.searches = dedupe([...base.searches, ...(extra.searches ?? [])]);
    base.options = mergeOptions(
      base.options,
      (extra.options ?? []).map((o: { name?: string; value?: string }) =>
        o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''),
      ),
    );
  }
  base.servers = base.servers.slice(0, MAX_NAMESERVERS);
  base.searches = dedupe(base.searches).slice(0, MAX_SEARCHES);
  return base;
}

/** The node's /etc/resolv.conf, read each time a pod starts (it may change). */
export function hostResolvConf(file = '/etc/resolv.conf'): DnsConfig {
  return resolverOf(readResolvConf(file));
}

export function resolverOf(conf: ResolvConf): DnsConfig {
  return { servers: conf.nameservers, searches: conf.search, options: conf.options };
}

function dedupe(list: string[]): string[] {
  return [...new Set(list.filter(Boolean))];
}

/** Options by name; a later one (the pod's dnsConfig) replaces an earlier one. */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) if (o) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}
