import { randomInt } from 'node:crypto';
import { isStoreError, type Backend } from '../../store/index.ts';
import type { IpRange } from './ip-range.ts';

// Which cluster IPs and node ports are taken, kept in the store as one key per value
// (`/wharf/allocations/...`, outside `/registry/` so no API lists them). A claim is a
// create-if-absent, so two API servers on one etcd can never hand out the same value,
// and a restarted server knows every claim without rebuilding anything. The repair loop
// (repair.ts) frees claims whose service is gone and restores claims a service lost.

const IP_PREFIX = '/wharf/allocations/serviceips/';
const PORT_PREFIX = '/wharf/allocations/servicenodeports/';

export interface ClaimOwner {
  namespace: string;
  name: string;
}

export interface Claim extends ClaimOwner {
  value: string;
  /** The store revision the claim was written at (the repair loop's age check). */
  revision: number;
}

export type ClaimResult = 'claimed' | 'taken';

export interface PortRange {
  base: number;
  size: number;
}

class ClaimSpace {
  constructor(
    private readonly store: Backend,
    private readonly prefix: string,
  ) {}

  key(value: string): string {
    return this.prefix + value;
  }

  async claim(value: string, owner: ClaimOwner, dryRun: boolean): Promise<ClaimResult> {
    const existing = await this.store.get(this.key(value));
    if (existing) return sameOwner(existing.value, owner) ? 'claimed' : 'taken';
    if (dryRun) return 'claimed';
    try {
      await this.store.create(this.key(value), encodeOwner(owner));
      return 'claimed';
    } catch (err) {
      if (!isStoreError(err, 'KeyExists')) throw err;
      const now = await this.store.get(this.key(value));
      return now && sameOwner(now.value, owner) ? 'claimed' : 'taken';
    }
  }

  async release(value: string, owner: ClaimOwner): Promise<void> {
    const kv = await this.store.get(this.key(value));
    if (!kv || !sameOwner(kv.value, owner)) return;
    try {
      await this.store.delete(this.key(value), kv.modRevision);
    } catch (err) {
      // Someone else released or re-claimed it meanwhile: theirs now.
      if (!isStoreError(err, 'Conflict') && !isStoreError(err, 'NotFound')) throw err;
    }
  }

  async forceRelease(claim: Claim): Promise<void> {
    try {
      await this.store.delete(this.key(claim.value), claim.revision);
    } catch (err) {
      if (!isStoreError(err, 'Conflict') && !isStoreError(err, 'NotFound')) throw err;
    }
  }

  async list(): Promise<Claim[]> {
    const out: Claim[] = [];
    let token: string | undefined;
    do {
      const page = await this.store.list(this.prefix, {
        limit: 5000,
        ...(token ? { continue: token } : {}),
      });
      for (const kv of page.kvs) {
        const owner = decodeOwner(kv.value);
        if (owner)
          out.push({ ...owner, value: kv.key.slice(this.prefix.length), revision: kv.modRevision });
      }
      token = page.continue || undefined;
    } while (token);
    return out;
  }

  /**
   * A free value among `count` candidates, trying random ones first and then scanning
   * from a random start, like Kubernetes' bitmap allocator; null when all are taken.
   */
  async allocate(
    count: number,
    valueAt: (i: number) => string,
    owner: ClaimOwner,
    dryRun: boolean,
    preferFrom = 0,
  ): Promise<string | null> {
    const taken = new Set((await this.list()).map((c) => c.value));
    const bands =
      preferFrom > 0 && preferFrom < count
        ? [
            [preferFrom, count],
            [0, preferFrom],
          ]
        : [[0, count]];
    for (const [lo, hi] of bands as [number, number][]) {
      const span = hi - lo;
      const start = lo + randomInt(span);
      for (let i = 0; i < span; i++) {
        const value = valueAt(lo + ((start - lo + i) % span));
        if (taken.has(value)) continue;
        // Lost a race with another server: keep looking.
        if ((await this.claim(value, owner, dryRun)) === 'claimed') return value;
        taken.add(value);
      }
    }
    return null;
  }
}

export class ServiceAllocations {
  readonly ips: ClaimSpace;
  readonly ports: ClaimSpace;

  constructor(
    store: Backend,
    readonly range: IpRange,
    readonly portRange: PortRange,
  ) {
    this.ips = new ClaimSpace(store, IP_PREFIX);
    this.ports = new ClaimSpace(store, PORT_PREFIX);
  }

  claimIP(ip: string, owner: ClaimOwner, dryRun = false): Promise<ClaimResult> {
    return this.ips.claim(ip, owner, dryRun);
  }

  /**
   * A free cluster IP. The low band of the range is left to services that ask for a
   * specific address (Kubernetes' static subrange), dynamic ones come from above it first.
   */
  allocateIP(owner: ClaimOwner, dryRun = false): Promise<string | null> {
    const staticBand = Math.min(256, Math.max(16, Math.floor(this.range.size / 16)));
    return this.ips.allocate(this.range.size, (i) => this.range.at(i), owner, dryRun, staticBand);
  }

  releaseIP(ip: string, owner: ClaimOwner): Promise<void> {
    return this.ips.release(ip, owner);
  }

  portInRange(port: number): boolean {
    return port >= this.portRange.base && port < this.portRange.base + this.portRange.size;
  }

  claimPort(port: number, owner: ClaimOwner, dryRun = false): Promise<ClaimResult> {
    return this.ports.claim(String(port), owner, dryRun);
  }

  async allocatePort(owner: ClaimOwner, dryRun = false): Promise<number | null> {
    const { base, size } = this.portRange;
    const staticBand = Math.min(128, Math.max(16, Math.floor(size / 32)));
    const v = await this.ports.allocate(size, (i) => String(base + i), owner, dryRun, staticBand);
    return v === null ? null : Number(v);
  }

  releasePort(port: number, owner: ClaimOwner): Promise<void> {
    return this.ports.release(String(port), owner);
  }
}

function encodeOwner(owner: ClaimOwner): Buffer {
  return Buffer.from(JSON.stringify({ namespace: owner.namespace, name: owner.name }));
}

function decodeOwner(value: Buffer): ClaimOwner | null {
  try {
    const v = JSON.parse(value.toString()) as Partial<ClaimOwner>;
    return typeof v.namespace === 'string' && typeof v.name === 'string'
      ? { namespace: v.namespace, name: v.name }
      : null;
  } catch {
    return null;
  }
}

function sameOwner(value: Buffer, owner: ClaimOwner): boolean {
  const o = decodeOwner(value);
  return o !== null && o.namespace === owner.namespace && o.name === owner.name;
}

export type { ClaimSpace };
