import fs from 'node:fs';
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
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // No resolver configured: empty lists.
  }
  return parseResolvConf(text);
}

export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest.filter(Boolean);
    else if (key === 'options') out.options.push(...rest.filter(Boolean));
  }
  return out;
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
