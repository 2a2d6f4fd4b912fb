import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, Question } from 'dns-packet';
import { dashedIP, ipFromDashed, ipFromReverseName, isReverseName } from './addresses.ts';
import type { DnsDirectory, DnsEndpoint, DnsService } from './types.ts';

// The cluster zone as CoreDNS's kubernetes plugin (and kube-dns before it) serves it:
//
//   <svc>.<ns>.svc.<zone>                    A/AAAA cluster IPs; headless: ready endpoint IPs;
//                                            ExternalName: CNAME
//   <host>.<svc>.<ns>.svc.<zone>             an endpoint of a headless service, by hostname
//                                            or dashed IP
//   _<port>._<proto>.<svc>.<ns>.svc.<zone>   SRV
//   <a-b-c-d>.<ns>.pod.<zone>                A a.b.c.d (kube-dns "pods insecure")
//   d.c.b.a.in-addr.arpa                     PTR, only for addresses the directory owns
//
// Names above an existing name (`<ns>.svc.<zone>`, `_tcp.<svc>...`) are empty
// non-terminals: NOERROR without answers, not NXDOMAIN, so that resolvers walking the
// search path do not cache a missing parent (RFC 8020). Negative answers carry the SOA.
//
// Pure: no sockets, no clock. The server puts the answer into a packet.

export interface ResolverOptions {
  /** The cluster zone, without a trailing dot. */
  domain: string;
  /** TTL of every record, and the SOA's negative-caching minimum. */
  ttl: number;
}

export const DEFAULT_RESOLVER_OPTIONS: ResolverOptions = { domain: 'cluster.local', ttl: 5 };

export type ZoneRcode = 'NOERROR' | 'NXDOMAIN';

export interface ZoneAnswer {
  rcode: ZoneRcode;
  answers: Answer[];
  authorities: Answer[];
  /** Addresses of SRV targets, as CoreDNS adds them. */
  additionals: Answer[];
}

/**
 * The authoritative answer to `question` when its name is in the cluster zone (or is a
 * reverse name of an address the directory owns); undefined when the question belongs
 * to the upstream resolvers.
 */
export function answer(
  question: Question,
  directory: DnsDirectory,
  opts: ResolverOptions = DEFAULT_RESOLVER_OPTIONS,
): ZoneAnswer | undefined {
  const asked = question.name.replace(/\.+$/, '');
  const name = asked.toLowerCase();
  const domain = opts.domain.toLowerCase().replace(/\.+$/, '');
  const zone = new Zone(asked, question.type, directory, { domain, ttl: opts.ttl });
  if (isReverseName(name)) return zone.reverse(name);
  if (name !== domain && !name.endsWith(`.${domain}`)) return undefined;
  // Only class IN exists in the zone; other classes get an empty answer, not a forward.
  if (question.class && question.class !== 'IN' && question.class !== 'ANY') return zone.noData();
  const labels = name === domain ? [] : name.slice(0, -domain.length - 1).split('.');
  return zone.lookup(labels);
}

class Zone {
  readonly #asked: string;
  /** As a string: 'ANY' is a question type the typings do not list. */
  readonly #type: string;
  readonly #dir: DnsDirectory;
  readonly #opts: ResolverOptions;

  constructor(asked: string, type: string, dir: DnsDirectory, opts: ResolverOptions) {
    this.#asked = asked;
    this.#type = type;
    this.#dir = dir;
    this.#opts = opts;
  }

  /** `labels`: the name's labels left of the zone, left to right. */
  lookup(labels: string[]): ZoneAnswer {
    if (labels.length === 0) return this.#apex();
    const top = labels[labels.length - 1];
    const rest = labels.slice(0, -1);
    if (top === 'svc') return this.#svc(rest);
    if (top === 'pod') return this.#pod(rest);
    return this.nxDomain();
  }

  reverse(name: string): ZoneAnswer | undefined {
    if (this.#type !== 'PTR') return undefined;
    const ip = ipFromReverseName(name);
    const owners = ip ? this.#dir.addressOwners(ip) : [];
    if (owners.length === 0) return undefined;
    const targets = owners.map(({ service, endpoint }) =>
      endpoint ? this.#endpointName(service, endpoint) : this.#serviceName(service),
    );
    return this.#ok(
      [...new Set(targets)].map((data) => this.#record({ type: 'PTR', name: this.#asked, data })),
    );
  }

  noData(): ZoneAnswer {
    return { rcode: 'NOERROR', answers: [], authorities: [this.#soa()], additionals: [] };
  }

  nxDomain(): ZoneAnswer {
    return { rcode: 'NXDOMAIN', answers: [], authorities: [this.#soa()], additionals: [] };
  }

  #apex(): ZoneAnswer {
    if (this.#type === 'SOA') return this.#ok([this.#soa(this.#asked)]);
    if (this.#type === 'NS')
      return this.#ok([
        this.#record({ type: 'NS', name: this.#asked, data: `ns.dns.${this.#opts.domain}` }),
      ]);
    return this.noData();
  }

  #svc(labels: string[]): ZoneAnswer {
    if (labels.length === 0) return this.noData();
    const namespace = labels[labels.length - 1]!;
    if (labels.length === 1)
      return this.#dir.hasNamespace(namespace) ? this.noData() : this.nxDomain();
    const svc = this.#dir.service(namespace, labels[labels.length - 2]!);
    if (!svc) return this.nxDomain();
    if (labels.length === 2) return this.#service(svc);
    const [first = '', second] = labels;
    if (labels.length === 3 && first.startsWith('_')) {
      const protocol = first.slice(1);
      return svc.ports.some((p) => p.protocol.toLowerCase() === protocol)
        ? this.noData()
        : this.nxDomain();
    }
    if (labels.length === 3) return this.#endpointByName(svc, first);
    if (labels.length === 4 && first.startsWith('_') && second?.startsWith('_'))
      return this.#srv(svc, first.slice(1), second.slice(1));
    return this.nxDomain();
  }

  #service(svc: DnsService): ZoneAnswer {
    if (svc.kind === 'ExternalName') {
      if (!svc.externalName) return this.noData();
      return this.#ok([this.#record({ type: 'CNAME', name: this.#asked, data: svc.externalName })]);
    }
    if (this.#type === 'SRV')
      return svc.ports.length > 0 ? this.#srv(svc, undefined, undefined) : this.noData();
    return this.#addresses(this.#serviceIPs(svc));
  }

  #endpointByName(svc: DnsService, label: string): ZoneAnswer {
    if (svc.kind !== 'Headless') return this.nxDomain();
    const matches = this.#dir
      .endpoints(svc.namespace, svc.name)
      .filter((e) => endpointLabel(e) === label);
    if (matches.length === 0) return this.nxDomain();
    return this.#addresses(matches.map((e) => e.ip));
  }

  /** SRV records of a service's ports; `portName`/`protocol` undefined match every port. */
  #srv(svc: DnsService, portName: string | undefined, protocol: string | undefined): ZoneAnswer {
    const matches = (p: { name: string; protocol: string }) =>
      (portName === undefined || p.name === portName) &&
      (protocol === undefined || p.protocol.toLowerCase() === protocol);
    if (svc.kind === 'ExternalName' || !svc.ports.some(matches)) return this.nxDomain();
    const targets: { target: string; port: number; ips: string[] }[] = [];
    if (svc.kind === 'ClusterIP') {
      for (const p of svc.ports.filter(matches))
        targets.push({ target: this.#serviceName(svc), port: p.port, ips: this.#serviceIPs(svc) });
    } else {
      for (const e of this.#dir.endpoints(svc.namespace, svc.name))
        for (const p of e.ports.filter(matches))
          targets.push({ target: this.#endpointName(svc, e), port: p.port, ips: [e.ip] });
    }
    if (this.#type !== 'SRV' && this.#type !== 'ANY')
      return this.#addresses([...new Set(targets.flatMap((t) => t.ips))]);
    const unique = [...new Map(targets.map((t) => [`${t.target}:${t.port}`, t])).values()];
    const weight = Math.max(1, Math.floor(100 / Math.max(1, unique.length)));
    const records = unique.map((t) =>
      this.#record({
        type: 'SRV',
        name: this.#asked,
        data: { priority: 0, weight, port: t.port, target: t.target },
      }),
    );
    const glue = new Map<string, string[]>();
    for (const t of unique) glue.set(t.target, t.ips);
    const additionals = [...glue].flatMap(([target, ips]) =>
      ips.map((ip) => this.#record({ type: isIPv4(ip) ? 'A' : 'AAAA', name: target, data: ip })),
    );
    if (records.length === 0) return this.noData();
    return { ...this.#ok(records), additionals };
  }

  #pod(labels: string[]): ZoneAnswer {
    if (labels.length <= 1) return this.noData();
    if (labels.length > 2) return this.nxDomain();
    const ip = ipFromDashed(labels[0]!);
    return ip ? this.#addresses([ip]) : this.nxDomain();
  }

  /** A and AAAA records for the asked name: the addresses of the asked family, or NODATA. */
  #addresses(ips: string[]): ZoneAnswer {
    const want = (ip: string) =>
      (this.#type === 'A' && isIPv4(ip)) ||
      (this.#type === 'AAAA' && isIPv6(ip)) ||
      this.#type === 'ANY';
    const records = [...new Set(ips)]
      .filter(want)
      .map((ip) => this.#record({ type: isIPv4(ip) ? 'A' : 'AAAA', name: this.#asked, data: ip }));
    return records.length > 0 ? this.#ok(records) : this.noData();
  }

  #serviceIPs(svc: DnsService): string[] {
    return svc.kind === 'Headless'
      ? this.#dir.endpoints(svc.namespace, svc.name).map((e) => e.ip)
      : svc.clusterIPs;
  }

  #serviceName(svc: DnsService): string {
    return `${svc.name}.${svc.namespace}.svc.${this.#opts.domain}`;
  }

  #endpointName(svc: DnsService, endpoint: DnsEndpoint): string {
    return `${endpointLabel(endpoint)}.${this.#serviceName(svc)}`;
  }

  #ok(answers: Answer[]): ZoneAnswer {
    return { rcode: 'NOERROR', answers, authorities: [], additionals: [] };
  }

  #soa(name = this.#opts.domain): Answer {
    const { domain, ttl } = this.#opts;
    return this.#record({
      type: 'SOA',
      name,
      data: {
        mname: `ns.dns.${domain}`,
        rname: `hostmaster.${domain}`,
        // A fixed serial: the zone is synthesised per query and never transferred.
        serial: 1,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: ttl,
      },
    });
  }

  #record<T extends Answer>(record: T): T {
    return { ...record, class: 'IN', ttl: this.#opts.ttl };
  }
}

/** The label an endpoint answers to under its service: its hostname, or its dashed IP. */
export function endpointLabel(endpoint: DnsEndpoint): string {
  return endpoint.hostname ? endpoint.hostname.toLowerCase() : dashedIP(endpoint.ip);
}
