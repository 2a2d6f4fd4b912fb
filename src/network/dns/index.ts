// Cluster DNS: the `cluster.local` zone from Services and EndpointSlices, as CoreDNS's
// kubernetes plugin serves it, with every other name forwarded upstream.
export {
  ClusterDnsServer,
  startClusterDns,
  type ClusterDnsOptions,
  type DnsStats,
  type ListenAddress,
} from './server.ts';
export type { Upstream } from './forward.ts';
export {
  answer,
  DEFAULT_RESOLVER_OPTIONS,
  type ResolverOptions,
  type ZoneAnswer,
} from './resolver.ts';
export { informerDirectory, staticDirectory } from './directory.ts';
export { parseResolvConf, readResolvConf, type ResolvConf } from './resolv-conf.ts';
export { measureDnsQps, type DnsLoadResult } from './dns-load.ts';
export type {
  DnsDirectory,
  DnsService,
  DnsEndpoint,
  DnsPort,
  DnsAddressOwner,
  DnsServiceKind,
} from './types.ts';
