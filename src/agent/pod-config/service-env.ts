import { isIPv6 } from 'node:net';
import type { KubeObject } from '../../api/index.ts';
import type { ConfigSources, ServicePort } from './types.ts';

// Service environment variables, as the kubelet's getServiceEnvVarMap and
// pkg/kubelet/envvars FromServices build them.

interface ServiceView {
  name: string;
  clusterIP: string;
  ports: ServicePort[];
}

/** The master services: always visible from `default`, even without service links. */
const MASTER_SERVICES = new Set(['kubernetes']);

function view(svc: KubeObject): ServiceView {
  const spec = (svc.spec ?? {}) as { clusterIP?: string; ports?: ServicePort[] };
  return {
    name: svc.metadata?.name ?? '',
    clusterIP: spec.clusterIP ?? '',
    ports: spec.ports ?? [],
  };
}

/** v1helper.IsServiceIPSet: headless (`None`) and IP-less services have no variables. */
function hasClusterIP(svc: ServiceView): boolean {
  return svc.clusterIP !== '' && svc.clusterIP !== 'None';
}

/** makeEnvVariableName: `my-svc` → `MY_SVC`. */
function envName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/** net.JoinHostPort: IPv6 addresses are bracketed. */
function hostPort(ip: string, port: number): string {
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** FromServices: the variables of each service, in the order given. */
export function fromServices(services: readonly ServiceView[]): [string, string][] {
  const out: [string, string][] = [];
  for (const svc of services) {
    if (!hasClusterIP(svc) || svc.ports.length === 0) continue;
    const prefix = envName(svc.name);
    out.push([`${prefix}_SERVICE_HOST`, svc.clusterIP]);
    const portVar = `${prefix}_SERVICE_PORT`;
    out.push([portVar, String(svc.ports[0].port)]);
    // Only the first port may be unnamed (validation); every named one gets a variable.
    for (const sp of svc.ports) {
      if (sp.name) out.push([`${portVar}_${envName(sp.name)}`, String(sp.port)]);
    }
    // Docker link variables; Docker special-cases the first port as `{SVC}_PORT`.
    svc.ports.forEach((sp, i) => {
      const protocol = sp.protocol || 'TCP';
      const url = `${protocol.toLowerCase()}://${hostPort(svc.clusterIP, sp.port)}`;
      if (i === 0) out.push([`${prefix}_PORT`, url]);
      const portPrefix = `${prefix}_PORT_${sp.port}_${protocol.toUpperCase()}`;
      out.push([portPrefix, url]);
      out.push([`${portPrefix}_PROTO`, protocol.toLowerCase()]);
      out.push([`${portPrefix}_PORT`, String(sp.port)]);
      out.push([`${portPrefix}_ADDR`, svc.clusterIP]);
    });
  }
  return out;
}

/**
 * getServiceEnvVarMap: the variables of every service with a cluster IP in `namespace`
 * (when `enableServiceLinks`), and of the master services of `default` always; a
 * namespace's own `kubernetes` service shadows the master one. Services are taken in
 * name order so the result is stable (the kubelet's map order is random).
 */
export function serviceEnv(
  namespace: string,
  enableServiceLinks: boolean,
  sources: Pick<ConfigSources, 'services' | 'masterService'>,
): Map<string, string> {
  const byName = new Map<string, ServiceView>();
  for (const obj of sources.services(namespace)) {
    const svc = view(obj);
    if (!hasClusterIP(svc)) continue;
    const ns = obj.metadata?.namespace ?? '';
    if (ns === 'default' && MASTER_SERVICES.has(svc.name)) {
      if (!byName.has(svc.name)) byName.set(svc.name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(svc.name, svc);
    }
  }
  const master = sources.masterService;
  if (master && (master.replacesService || !byName.has('kubernetes'))) {
    // wharf: the API server's address stands in for a `kubernetes` service not yet seen,
    // or one whose cluster IP this node cannot route.
    byName.set('kubernetes', {
      name: 'kubernetes',
      clusterIP: master.host,
      ports: [{ name: 'https', port: master.port, protocol: 'TCP' }],
    });
  }
  const ordered = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return new Map(fromServices(ordered));
}
