// What the cluster DNS knows about the cluster: services and their endpoints, already
// read out of Service and EndpointSlice objects. The resolver answers from a
// DnsDirectory only, so it is tested without an API server or sockets.

export type DnsProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface DnsPort {
  /** '' when the port has no name (such a port gets no SRV record). */
  name: string;
  protocol: DnsProtocol;
  port: number;
}

export type DnsServiceKind = 'ClusterIP' | 'Headless' | 'ExternalName';

export interface DnsService {
  namespace: string;
  name: string;
  kind: DnsServiceKind;
  /** `spec.clusterIPs` (IPv4 and IPv6); empty unless kind is ClusterIP. */
  clusterIPs: string[];
  /** `spec.externalName`, without a trailing dot; '' unless kind is ExternalName. */
  externalName: string;
  ports: DnsPort[];
}

/** One address of one endpoint that DNS may hand out: ready, or the service publishes it anyway. */
export interface DnsEndpoint {
  ip: string;
  /** `endpoints[].hostname`; '' when absent. */
  hostname: string;
  /** The slice's ports, which for a headless service are what SRV records point at. */
  ports: DnsPort[];
}

/** A name a PTR query may lead to: a service's cluster IP, or an endpoint of a headless service. */
export interface DnsAddressOwner {
  service: DnsService;
  /** Present when the address is an endpoint's rather than the cluster IP. */
  endpoint?: DnsEndpoint;
}

/**
 * The read side the resolver needs. Implementations answer from a cache and must be
 * cheap and synchronous: they run once or more per query.
 */
export interface DnsDirectory {
  service(namespace: string, name: string): DnsService | undefined;
  /** The endpoint addresses DNS may hand out for a service, in a stable order; [] if none. */
  endpoints(namespace: string, name: string): DnsEndpoint[];
  /** True when some service lives in `namespace` (so `ns.svc.<zone>` exists as a name). */
  hasNamespace(namespace: string): boolean;
  /** Services and headless endpoints holding `ip`, for reverse lookups. */
  addressOwners(ip: string): DnsAddressOwner[];
}
