import type { V1Endpoint, V1ServiceSpec } from 'kubernetes-client-node-v1.32';
import type { KubeObject } from '../../api/index.ts';
import type { InformerFactory, ResourceRef, StoreReader } from '../../client/index.ts';
import { canonicalIP } from './addresses.ts';
import type {
  DnsAddressOwner,
  DnsDirectory,
  DnsEndpoint,
  DnsPort,
  DnsProtocol,
  DnsService,
} from './types.ts';

// DnsDirectory over Service and EndpointSlice objects: either the informers' caches
// (what the server runs on) or a fixed list (what tests run on). Both read the objects
// through the same conversion, so the tests of one cover the other.

export const SERVICES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'services',
  namespaced: true,
};
export const ENDPOINT_SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  namespaced: true,
};
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

type ServiceObject = KubeObject & { spec?: V1ServiceSpec };
type SliceObject = KubeObject & {
  addressType?: string;
  endpoints?: V1Endpoint[];
  ports?: { name?: string; protocol?: string; port?: number }[];
};

export function dnsServiceOf(svc: ServiceObject): DnsService {
  const spec = svc.spec ?? {};
  const base = {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    clusterIPs: [] as string[],
    externalName: '',
    ports: (spec.ports ?? []).map((p) => portOf(p.name, p.protocol, p.port)),
  };
  if (spec.type === 'ExternalName')
    return {
      ...base,
      kind: 'ExternalName',
      externalName: (spec.externalName ?? '').replace(/\.$/, ''),
    };
  if (spec.clusterIP === 'None') return { ...base, kind: 'Headless' };
  return { ...base, kind: 'ClusterIP', clusterIPs: clusterIPsOf(svc) };
}

/** The endpoint addresses of a service's slices that DNS hands out, in a stable order. */
export function dnsEndpointsOf(slices: SliceObject[]): DnsEndpoint[] {
  const seen = new Set<string>();
  const out: DnsEndpoint[] = [];
  const sorted = [...slices].sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
  for (const slice of sorted) {
    // FQDN slices hold names, not addresses: nothing an A record can carry.
    if (slice.addressType === 'FQDN') continue;
    const ports = (slice.ports ?? [])
      .filter((p) => p.port !== undefined)
      .map((p) => portOf(p.name, p.protocol, p.port));
    for (const endpoint of slice.endpoints ?? []) {
      // An absent condition means ready (the EndpointSlice API's rule); the slice
      // controller already marks endpoints of publishNotReadyAddresses services ready.
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        const ip = canonicalIP(address);
        const hostname = endpoint.hostname ?? '';
        const key = `${ip}/${hostname}`;
        if (!ip || seen.has(key)) continue;
        seen.add(key);
        out.push({ ip: address, hostname, ports });
      }
    }
  }
  return out;
}

/** A directory over a fixed set of Service and EndpointSlice objects (other kinds are ignored). */
export function staticDirectory(objects: KubeObject[]): DnsDirectory {
  const services = new Map<string, ServiceObject>();
  const slices = new Map<string, SliceObject[]>();
  for (const obj of objects) {
    const ns = obj.metadata?.namespace ?? '';
    if (obj.kind === 'Service') services.set(`${ns}/${obj.metadata?.name}`, obj);
    if (obj.kind === 'EndpointSlice') {
      const key = sliceServiceKey(obj)[0];
      if (key) slices.set(key, [...(slices.get(key) ?? []), obj]);
    }
  }
  return directoryOver({
    service: (key) => services.get(key),
    slicesOf: (key) => slices.get(key) ?? [],
    namespaceHasServices: (ns) => [...services.values()].some((s) => s.metadata?.namespace === ns),
    servicesByIP: (ip) => [...services.values()].filter((s) => serviceIPKeys(s).includes(ip)),
    slicesByIP: (ip) => [...slices.values()].flat().filter((s) => sliceIPKeys(s).includes(ip)),
  });
}

/**
 * A directory over the factory's Services and EndpointSlices informers, which the caller
 * starts (and waits for) with the factory. Adds its own indexes to those informers.
 */
export function informerDirectory(factory: InformerFactory): DnsDirectory {
  const services = factory.informerFor<ServiceObject>(SERVICES).store;
  const slices = factory.informerFor<SliceObject>(ENDPOINT_SLICES).store;
  ensureIndexer(services, NAMESPACE, (s) => [s.metadata?.namespace ?? '']);
  ensureIndexer(services, IP, serviceIPKeys);
  ensureIndexer(slices, SERVICE, sliceServiceKey);
  ensureIndexer(slices, IP, sliceIPKeys);
  return directoryOver({
    service: (key) => services.get(key),
    slicesOf: (key) => slices.byIndex(SERVICE, key),
    namespaceHasServices: (ns) => services.byIndex(NAMESPACE, ns).length > 0,
    servicesByIP: (ip) => services.byIndex(IP, ip),
    slicesByIP: (ip) => slices.byIndex(IP, ip),
  });
}

// Index names of this package's own, so they never collide with another user's indexes
// on the same shared informers.
const NAMESPACE = 'cluster-dns/namespace';
const IP = 'cluster-dns/ip';
const SERVICE = 'cluster-dns/service';

function ensureIndexer<T extends KubeObject>(
  store: StoreReader<T>,
  name: string,
  fn: (obj: T) => string[],
): void {
  try {
    store.byIndex(name, '');
  } catch {
    // No such index yet (byIndex throws only for that): this is the first directory.
    store.addIndexer(name, fn);
  }
}

/** The lookups a directory needs from a set of objects; keys are `namespace/name`, IPs canonical. */
interface ObjectSource {
  service(key: string): ServiceObject | undefined;
  slicesOf(serviceKey: string): SliceObject[];
  namespaceHasServices(namespace: string): boolean;
  servicesByIP(ip: string): ServiceObject[];
  slicesByIP(ip: string): SliceObject[];
}

function directoryOver(source: ObjectSource): DnsDirectory {
  const service = (namespace: string, name: string) => {
    const obj = source.service(`${namespace}/${name}`);
    return obj && dnsServiceOf(obj);
  };
  const endpoints = (namespace: string, name: string) =>
    dnsEndpointsOf(source.slicesOf(`${namespace}/${name}`));
  return {
    service,
    endpoints,
    hasNamespace: (namespace) => source.namespaceHasServices(namespace),
    addressOwners(ip) {
      const canonical = canonicalIP(ip);
      if (!canonical) return [];
      const owners: DnsAddressOwner[] = source
        .servicesByIP(canonical)
        .map((obj) => ({ service: dnsServiceOf(obj) }));
      const serviceKeys = new Set(source.slicesByIP(canonical).flatMap(sliceServiceKey));
      for (const key of [...serviceKeys].sort()) {
        const [namespace = '', name = ''] = key.split('/');
        const svc = service(namespace, name);
        if (svc?.kind !== 'Headless') continue;
        for (const endpoint of endpoints(namespace, name)) {
          if (canonicalIP(endpoint.ip) === canonical) owners.push({ service: svc, endpoint });
        }
      }
      return owners;
    },
  };
}

function clusterIPsOf(svc: ServiceObject): string[] {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  return ips.filter((ip) => canonicalIP(ip) !== undefined);
}

function serviceIPKeys(svc: ServiceObject): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  return clusterIPsOf(svc).map((ip) => canonicalIP(ip)!);
}

function sliceServiceKey(slice: KubeObject): string[] {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? [`${slice.metadata?.namespace ?? ''}/${name}`] : [];
}

function sliceIPKeys(slice: SliceObject): string[] {
  if (slice.addressType === 'FQDN') return [];
  const ips = (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []).map(canonicalIP);
  return [...new Set(ips.filter((ip): ip is string => ip !== undefined))];
}

function portOf(
  name: string | undefined,
  protocol: string | undefined,
  port: number | undefined,
): DnsPort {
  const proto = (protocol ?? 'TCP').toUpperCase();
  return {
    name: name ?? '',
    protocol: (proto === 'UDP' || proto === 'SCTP' ? proto : 'TCP') as DnsProtocol,
    port: port ?? 0,
  };
}
