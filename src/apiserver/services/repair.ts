import type { KubeObject } from '../../api/index.ts';
import type { Backend } from '../../store/index.ts';
import { decodeObject } from '../storage/codec.ts';
import type { Claim, ClaimOwner, ServiceAllocations } from './allocations.ts';

// Kubernetes' allocation repair controllers, for the store-backed claims: a claim whose
// service is gone (an API server died between claiming and storing) is released once it
// has been seen orphaned on two passes in a row, so a create in flight is never robbed;
// a value a stored service uses without a claim is claimed again.

const SERVICES_PREFIX = '/registry/core/services/';
const REPAIR_MS = 3 * 60_000;

type Log = (level: 'info' | 'warn' | 'error', message: string, err?: unknown) => void;

export class AllocationRepair {
  #suspects = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Backend,
    private readonly alloc: ServiceAllocations,
    private readonly log: Log,
  ) {}

  start(): void {
    const run = () =>
      this.runOnce().catch((err: unknown) =>
        this.log('warn', 'service allocation repair failed', err),
      );
    void run();
    this.#timer = setInterval(run, REPAIR_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async runOnce(): Promise<void> {
    const used = new Map<string, ClaimOwner>();
    let token: string | undefined;
    do {
      const page = await this.store.list(SERVICES_PREFIX, {
        limit: 1000,
        ...(token ? { continue: token } : {}),
      });
      for (const kv of page.kvs) {
        const svc = decodeObject(kv);
        for (const value of valuesOf(svc)) used.set(value, ownerOf(svc));
      }
      token = page.continue || undefined;
    } while (token);

    const claims: [string, Claim, 'ip' | 'port'][] = [
      ...(await this.alloc.ips.list()).map(
        (c) => [`ip/${c.value}`, c, 'ip'] as [string, Claim, 'ip'],
      ),
      ...(await this.alloc.ports.list()).map(
        (c) => [`port/${c.value}`, c, 'port'] as [string, Claim, 'port'],
      ),
    ];
    const suspects = new Set<string>();
    for (const [id, claim, kind] of claims) {
      const owner = used.get(id);
      if (owner && owner.namespace === claim.namespace && owner.name === claim.name) continue;
      if (!this.#suspects.has(id)) {
        suspects.add(id);
        continue;
      }
      this.log(
        'info',
        `releasing ${kind} ${claim.value} leaked by service ${claim.namespace}/${claim.name}`,
      );
      await (kind === 'ip' ? this.alloc.ips : this.alloc.ports).forceRelease(claim);
    }
    this.#suspects = suspects;
    const claimed = new Set(claims.map(([id]) => id));
    for (const [id, owner] of used) {
      if (claimed.has(id)) continue;
      const [kind, value] = [id.slice(0, id.indexOf('/')), id.slice(id.indexOf('/') + 1)];
      const result =
        kind === 'ip'
          ? await this.alloc.claimIP(value, owner)
          : await this.alloc.claimPort(Number(value), owner);
      if (result === 'taken') {
        this.log(
          'warn',
          `service ${owner.namespace}/${owner.name} uses ${kind} ${value}, which another service holds`,
        );
      }
    }
  }
}

function ownerOf(svc: KubeObject): ClaimOwner {
  return { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
}

function valuesOf(svc: KubeObject): string[] {
  const spec = (svc.spec ?? {}) as {
    type?: string;
    clusterIPs?: string[];
    clusterIP?: string;
    ports?: { nodePort?: number }[];
    healthCheckNodePort?: number;
  };
  const out: string[] = [];
  if (spec.type !== 'ExternalName') {
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
      if (ip && ip !== 'None') out.push(`ip/${ip}`);
    }
  }
  for (const p of spec.ports ?? []) if ((p.nodePort ?? 0) > 0) out.push(`port/${p.nodePort}`);
  if ((spec.healthCheckNodePort ?? 0) > 0) out.push(`port/${spec.healthCheckNodePort}`);
  return out;
}
