import { readFileSync } from 'node:fs';
import os from 'node:os';

// The host's resolv.conf, read for where the cluster DNS forwards what is not the
// cluster's, and by the agent for the resolver pods get from the node
// (src/agent/pods/pod-dns.ts, and the docker runtime's default).

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Parses resolv.conf text; unknown lines are ignored, as the C library does. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0]) conf.nameservers.push(args[0].replace(/%.*$/, ''));
    // The last search (or domain) line wins, as in glibc.
    else if (keyword === 'search' || keyword === 'domain') conf.search = args;
    else if (keyword === 'options') conf.options.push(...args);
  }
  return conf;
}

/** A resolv.conf file, read each time (it may change); empty when there is none. */
export function readResolvConf(file = '/etc/resolv.conf'): ResolvConf {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no resolver configured
  }
  return parseResolvConf(text);
}

/**
 * The nameservers of `conf` as upstreams (port 53), without the server's own addresses
 * (`bound`, wildcard listens expanded to the machine's interfaces): forwarding to
 * itself would send a query round in a loop until it timed out.
 */
export function upstreamsOf(
  conf: ResolvConf,
  bound: { host: string; port: number }[],
  interfaces: string[] = Object.values(os.networkInterfaces()).flatMap((addrs) =>
    (addrs ?? []).map((a) => a.address),
  ),
): { host: string; port: number }[] {
  const own = new Set<string>();
  for (const { host, port } of bound) {
    const hosts = host === '0.0.0.0' || host === '::' ? interfaces : [host];
    for (const h of hosts) own.add(`${h}:${port}`);
  }
  return conf.nameservers
    .map((host) => ({ host, port: 53 }))
    .filter((u) => !own.has(`${u.host}:${u.port}`));
}
