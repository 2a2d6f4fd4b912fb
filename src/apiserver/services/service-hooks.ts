import { cloneJson } from '../../api/index.ts';
import type { FieldError, KubeObject } from '../../api/index.ts';
import { invalid } from '../../api/validation/field.ts';
import { goSlice } from '../../api/validation/go-format.ts';
import { StatusError } from '../errors.ts';
import type { HookResult, WriteHooks } from '../storage/write-hooks.ts';
import type { ClaimOwner, ServiceAllocations } from './allocations.ts';

// A Service's cluster IP and node ports, as kube-apiserver's service REST assigns them:
// requested values are claimed or refused with the Kubernetes message, missing ones are
// allocated, values the user leaves out of an update are carried over, values a type
// change makes pointless are dropped, and everything is given back on delete.

interface Port {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

interface Spec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: Port[];
  allocateLoadBalancerNodePorts?: boolean;
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
}

const specOf = (svc: KubeObject): Spec => (svc.spec ??= {}) as Spec;
const ownerOf = (svc: KubeObject): ClaimOwner => ({
  namespace: svc.metadata?.namespace ?? '',
  name: svc.metadata?.name ?? '',
});

const wantsClusterIP = (s: Spec) => s.type !== 'ExternalName' && s.clusterIP !== 'None';
const wantsNodePorts = (s: Spec) =>
  s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const mayHaveNodePorts = (s: Spec) => s.type === 'NodePort' || s.type === 'LoadBalancer';
const wantsHealthCheckPort = (s: Spec) =>
  s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';

const ipsOf = (s: Spec): string[] =>
  wantsClusterIP(s) ? (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).filter(Boolean) : [];
const nodePortsOf = (s: Spec): number[] =>
  mayHaveNodePorts(s)
    ? [...new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0))]
    : [];
const healthPortOf = (s: Spec): number[] =>
  wantsHealthCheckPort(s) && (s.healthCheckNodePort ?? 0) > 0 ? [s.healthCheckNodePort!] : [];

/** What one write took, so an abandoned write can give it back. */
class Taken {
  readonly ips: string[] = [];
  readonly ports: number[] = [];
  constructor(
    private readonly alloc: ServiceAllocations,
    private readonly owner: ClaimOwner,
    private readonly dryRun: boolean,
  ) {}
  async undo(): Promise<void> {
    if (this.dryRun) return;
    for (const ip of this.ips) await this.alloc.releaseIP(ip, this.owner);
    for (const p of this.ports) await this.alloc.releasePort(p, this.owner);
  }
}

export function serviceWriteHooks(alloc: ServiceAllocations): WriteHooks {
  async function claimIPs(spec: Spec, taken: Taken, owner: ClaimOwner, dryRun: boolean) {
    const errors: FieldError[] = [];
    const requested = ipsOf(spec);
    if (requested.length === 0) {
      const ip = await alloc.allocateIP(owner, dryRun);
      if (ip === null) {
        throw new StatusError(
          'InternalError',
          `Internal error occurred: failed to allocate a serviceIP: range is full`,
        );
      }
      if (!dryRun) taken.ips.push(ip);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    } else {
      for (const ip of requested) {
        const shown = goSlice(spec.clusterIPs ?? requested);
        if (!alloc.range.contains(ip)) {
          errors.push(
            invalid(
              'spec.clusterIPs',
              shown,
              `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${alloc.range.cidr}`,
            ),
          );
        } else if ((await alloc.claimIP(ip, owner, dryRun)) === 'taken') {
          errors.push(
            invalid(
              'spec.clusterIPs',
              shown,
              `failed to allocate IP ${ip}: provided IP is already allocated`,
            ),
          );
        } else if (!dryRun) taken.ips.push(ip);
      }
    }
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    return errors;
  }

  /** Node ports for every port that needs one; `held` are ports this service already owns. */
  async function claimNodePorts(
    spec: Spec,
    held: Set<number>,
    taken: Taken,
    owner: ClaimOwner,
    dryRun: boolean,
  ): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    const ports = spec.ports ?? [];
    // TCP and UDP of one service port share one node port, as Kubernetes assigns them.
    const byServicePort = new Map<number, number>();
    const mine = new Set(held);
    for (const [i, p] of ports.entries()) {
      const np = p.nodePort ?? 0;
      if (np === 0) continue;
      byServicePort.set(p.port ?? 0, np);
      if (mine.has(np) || !alloc.portInRange(np)) continue; // validation reports the range
      if ((await alloc.claimPort(np, owner, dryRun)) === 'taken') {
        errors.push(invalid(`spec.ports[${i}].nodePort`, np, 'provided port is already allocated'));
      } else {
        mine.add(np);
        if (!dryRun) taken.ports.push(np);
      }
    }
    if (!wantsNodePorts(spec)) return errors;
    for (const p of ports) {
      if ((p.nodePort ?? 0) !== 0) continue;
      const shared = byServicePort.get(p.port ?? 0);
      if (shared !== undefined) {
        p.nodePort = shared;
        continue;
      }
      const np = await alloc.allocatePort(owner, dryRun);
      if (np === null) {
        throw new StatusError(
          'InternalError',
          'Internal error occurred: failed to allocate a nodePort: range is full',
        );
      }
      if (!dryRun) taken.ports.push(np);
      p.nodePort = np;
      byServicePort.set(p.port ?? 0, np);
    }
    return errors;
  }

  async function claimHealthPort(
    spec: Spec,
    held: Set<number>,
    taken: Taken,
    owner: ClaimOwner,
    dryRun: boolean,
  ) {
    if (!wantsHealthCheckPort(spec)) return [];
    const hc = spec.healthCheckNodePort ?? 0;
    if (hc === 0) {
      const np = await alloc.allocatePort(owner, dryRun);
      if (np === null) {
        throw new StatusError(
          'InternalError',
          'Internal error occurred: failed to allocate a healthCheckNodePort: range is full',
        );
      }
      if (!dryRun) taken.ports.push(np);
      spec.healthCheckNodePort = np;
      return [];
    }
    if (held.has(hc) || !alloc.portInRange(hc)) return [];
    if ((await alloc.claimPort(hc, owner, dryRun)) === 'taken') {
      return [invalid('spec.healthCheckNodePort', hc, 'provided port is already allocated')];
    }
    if (!dryRun) taken.ports.push(hc);
    return [];
  }

  async function assign(
    spec: Spec,
    old: Spec | null,
    owner: ClaimOwner,
    dryRun: boolean,
  ): Promise<{ errors: FieldError[]; taken: Taken }> {
    const taken = new Taken(alloc, owner, dryRun);
    const familyErrors = clusterFamilyErrors(spec);
    if (familyErrors.length > 0) return { errors: familyErrors, taken };
    try {
      const errors: FieldError[] = [];
      if (wantsClusterIP(spec) && !(old && wantsClusterIP(old) && ipsOf(old).length > 0)) {
        errors.push(...(await claimIPs(spec, taken, owner, dryRun)));
      }
      const heldPorts = new Set(old ? [...nodePortsOf(old), ...healthPortOf(old)] : []);
      if (mayHaveNodePorts(spec)) {
        errors.push(...(await claimNodePorts(spec, heldPorts, taken, owner, dryRun)));
      }
      errors.push(...(await claimHealthPort(spec, heldPorts, taken, owner, dryRun)));
      if (errors.length > 0) await taken.undo();
      return { errors, taken };
    } catch (err) {
      await taken.undo();
      throw err;
    }
  }

  return {
    async beginCreate(svc, dryRun): Promise<HookResult> {
      const owner = ownerOf(svc);
      const { errors, taken } = await assign(specOf(svc), null, owner, dryRun);
      return {
        errors,
        finish: async (committed) => {
          if (!committed) await taken.undo();
        },
      };
    },

    async beginUpdate(next, current, dryRun): Promise<HookResult> {
      const owner = ownerOf(current);
      const spec = specOf(next);
      const old = specOf(cloneJson(current));
      dropTypeDependentFields(spec, old);
      carryOverAllocatedValues(spec, old);
      const { errors, taken } = await assign(spec, old, owner, dryRun);
      return {
        errors,
        finish: async (committed) => {
          if (!committed) return taken.undo();
          if (dryRun) return;
          // What the new spec no longer uses goes back to the pool.
          const keepIPs = new Set(ipsOf(spec));
          for (const ip of ipsOf(old)) if (!keepIPs.has(ip)) await alloc.releaseIP(ip, owner);
          const keepPorts = new Set([...nodePortsOf(spec), ...healthPortOf(spec)]);
          for (const p of [...nodePortsOf(old), ...healthPortOf(old)]) {
            if (!keepPorts.has(p)) await alloc.releasePort(p, owner);
          }
        },
      };
    },

    async afterDelete(svc): Promise<void> {
      const owner = ownerOf(svc);
      const spec = specOf(cloneJson(svc));
      for (const ip of ipsOf(spec)) await alloc.releaseIP(ip, owner);
      for (const p of [...nodePortsOf(spec), ...healthPortOf(spec)])
        await alloc.releasePort(p, owner);
    },
  };
}

/** The one family this cluster serves: its service range is IPv4 (parseServiceCIDR). */
const CLUSTER_FAMILY = 'IPv4';

/**
 * What a single-stack IPv4 cluster refuses, as kube-apiserver's initIPFamilyFields: an
 * IPv6 cluster IP, a family it has no range for, and RequireDualStack. A headless service
 * without a selector may name any families (it gets no addresses), and an ExternalName
 * service has none.
 */
function clusterFamilyErrors(spec: Spec): FieldError[] {
  if (spec.type === 'ExternalName') return [];
  const selector = (spec as Spec & { selector?: Record<string, string> }).selector;
  if (spec.clusterIP === 'None' && Object.keys(selector ?? {}).length === 0) return [];
  const errors: FieldError[] = [];
  const ips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(
    (ip) => ip && ip !== 'None',
  );
  ips.forEach((ip, i) => {
    if (ip.includes(':') && i >= (spec.ipFamilies ?? []).length) {
      errors.push(
        invalid(
          `spec.clusterIPs[${i}]`,
          goSlice(spec.clusterIPs ?? ips),
          'IPv6 is not configured on this cluster',
        ),
      );
    }
  });
  if (errors.length > 0) return errors;
  if (spec.ipFamilyPolicy === 'RequireDualStack') {
    errors.push(
      invalid(
        'spec.ipFamilyPolicy',
        spec.ipFamilyPolicy,
        'this cluster is not configured for dual-stack services',
      ),
    );
  }
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (family !== CLUSTER_FAMILY) {
      errors.push(invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster'));
    }
  });
  return errors;
}

/**
 * A type change drops what the old type assigned and the user did not touch: node ports
 * when leaving NodePort, the cluster IP when becoming ExternalName (Kubernetes'
 * dropTypeDependentFields), so `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` works.
 */
function dropTypeDependentFields(spec: Spec, old: Spec): void {
  if (spec.type === old.type) return;
  if (
    wantsClusterIP(old) &&
    spec.type === 'ExternalName' &&
    sameList(spec.clusterIPs, old.clusterIPs)
  ) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  if (mayHaveNodePorts(old) && !mayHaveNodePorts(spec)) {
    const oldPorts = old.ports ?? [];
    const unchanged = (spec.ports ?? []).every(
      (p) => (p.nodePort ?? 0) === 0 || oldPorts.some((o) => o.nodePort === p.nodePort),
    );
    if (unchanged) for (const p of spec.ports ?? []) delete p.nodePort;
  }
  const external = (x: Spec & { externalIPs?: string[] }) =>
    mayHaveNodePorts(x) || (x.externalIPs ?? []).length > 0;
  if (
    external(old) &&
    !external(spec) &&
    spec.externalTrafficPolicy === old.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
  if (old.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    const s = spec as Spec & { loadBalancerClass?: string };
    const o = old as Spec & { loadBalancerClass?: string };
    if (s.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) {
      delete s.allocateLoadBalancerNodePorts;
    }
    if (s.loadBalancerClass === o.loadBalancerClass) delete s.loadBalancerClass;
  }
  if (
    wantsHealthCheckPort(old) &&
    !wantsHealthCheckPort(spec) &&
    spec.healthCheckNodePort === old.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
}

/** Values an update leaves out stay as they were (Kubernetes' patchAllocatedValues). */
function carryOverAllocatedValues(spec: Spec, old: Spec): void {
  if (wantsClusterIP(spec) && wantsClusterIP(old) && !spec.clusterIP && ipsOf(old).length > 0) {
    spec.clusterIP = old.clusterIP!;
    spec.clusterIPs = [...(old.clusterIPs ?? [old.clusterIP!])];
    if (!spec.ipFamilies && old.ipFamilies) spec.ipFamilies = [...old.ipFamilies];
    if (!spec.ipFamilyPolicy && old.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
  }
  if (mayHaveNodePorts(spec) && mayHaveNodePorts(old)) {
    for (const p of spec.ports ?? []) {
      if ((p.nodePort ?? 0) !== 0) continue;
      const before = (old.ports ?? []).find(
        (o) =>
          o.port === p.port &&
          (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP') &&
          (o.nodePort ?? 0) > 0,
      );
      if (before) p.nodePort = before.nodePort!;
    }
  }
  if (
    wantsHealthCheckPort(spec) &&
    wantsHealthCheckPort(old) &&
    !spec.healthCheckNodePort &&
    old.healthCheckNodePort
  ) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
