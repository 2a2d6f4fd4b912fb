import type { LeaseClient } from 'etcd3';

// Keys with a TTL are attached to etcd leases that are never kept alive, so etcd deletes
// the keys (with ordinary, watched delete events) when the lease runs out.
//
// Granting a lease per write would cost a raft round trip per write and leave etcd with as
// many leases as keys, so, as kube-apiserver's leaseManager does, one lease per requested
// TTL is shared by the writes of a reuse window: the lease is granted for
// `ttl + window` and reused while it still outlives `now + ttl`. A key therefore lives at
// least its TTL and at most TTL + window.

const MAX_REUSE_SECONDS = 60;
const REUSE_FRACTION = 0.1;

interface GrantedLease {
  id: string;
  /** The TTL the caller asked for, which is what reads report back. */
  ttlSeconds: number;
  /** When the lease runs out at the earliest, in ms since the epoch. */
  expiresAt: number;
}

export function reuseWindowSeconds(ttlSeconds: number): number {
  return Math.min(MAX_REUSE_SECONDS, Math.floor(ttlSeconds * REUSE_FRACTION));
}

/**
 * The TTL a lease granted by `leaseFor` was asked for, from the TTL etcd granted. Exact
 * because `ttl + reuseWindowSeconds(ttl)` grows strictly with `ttl`; a lease that someone
 * else granted has no such TTL and reports what etcd granted.
 */
export function requestedTtl(grantedSeconds: number): number {
  for (let ttl = grantedSeconds; ttl > 0 && ttl >= grantedSeconds - MAX_REUSE_SECONDS; ttl--) {
    if (ttl + reuseWindowSeconds(ttl) === grantedSeconds) return ttl;
  }
  return grantedSeconds;
}

export function validateTtl(ttlSeconds: number | undefined): number {
  if (ttlSeconds === undefined || ttlSeconds === 0) return 0;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new RangeError(
      `ttlSeconds must be a positive whole number of seconds, not ${ttlSeconds}`,
    );
  }
  return ttlSeconds;
}

export class LeaseManager {
  readonly #client: LeaseClient;
  readonly #now: () => number;
  /** The lease being handed out for each requested TTL (a promise while it is granted). */
  readonly #current = new Map<number, Promise<GrantedLease>>();
  /** Every lease granted or looked up that may still be attached to keys, by id. */
  readonly #known = new Map<string, GrantedLease>();
  readonly #lookups = new Map<string, Promise<number>>();

  constructor(client: LeaseClient, now: () => number = Date.now) {
    this.#client = client;
    this.#now = now;
  }

  /** A lease that expires no sooner than `ttlSeconds` from now. */
  async leaseFor(ttlSeconds: number): Promise<string> {
    const pending = this.#current.get(ttlSeconds);
    if (pending) {
      const lease = await pending.catch(() => undefined);
      const usable = lease && this.#known.has(lease.id);
      if (usable && lease.expiresAt >= this.#now() + ttlSeconds * 1000) return lease.id;
      if (this.#current.get(ttlSeconds) !== pending) return this.leaseFor(ttlSeconds);
    }
    const granting = this.#grant(ttlSeconds);
    this.#current.set(ttlSeconds, granting);
    granting.catch(() => {
      if (this.#current.get(ttlSeconds) === granting) this.#current.delete(ttlSeconds);
    });
    return (await granting).id;
  }

  /** Forgets a lease etcd no longer knows (revoked, or expired early), so it is not reused. */
  forget(leaseId: string): void {
    this.#known.delete(leaseId);
  }

  /** The TTL to report for a key attached to `leaseId`; 0 for no lease. */
  async ttlOf(leaseId: string | undefined): Promise<number> {
    if (leaseId === undefined) return 0;
    const known = this.#known.get(leaseId);
    if (known) return known.ttlSeconds;
    // The keys of a page of a list mostly share a few leases: ask etcd once per lease.
    let lookup = this.#lookups.get(leaseId);
    if (!lookup) {
      lookup = this.#lookUp(leaseId).finally(() => this.#lookups.delete(leaseId));
      this.#lookups.set(leaseId, lookup);
    }
    return lookup;
  }

  async #lookUp(leaseId: string): Promise<number> {
    const started = this.#now();
    const res = await this.#client.leaseTimeToLive({ ID: leaseId });
    const granted = Number(res.grantedTTL);
    const remaining = Number(res.TTL);
    // An expired lease has taken its keys with it and no longer tells its TTL; it is
    // remembered as 0 so replaying old events does not ask again for every event.
    const ttlSeconds = remaining < 0 || granted <= 0 ? 0 : requestedTtl(granted);
    this.#remember({ id: leaseId, ttlSeconds, expiresAt: started + Math.max(remaining, 0) * 1000 });
    return ttlSeconds;
  }

  async #grant(ttlSeconds: number): Promise<GrantedLease> {
    const started = this.#now();
    const res = await this.#client.leaseGrant({ TTL: ttlSeconds + reuseWindowSeconds(ttlSeconds) });
    const lease = { id: String(res.ID), ttlSeconds, expiresAt: started + Number(res.TTL) * 1000 };
    this.#remember(lease);
    return lease;
  }

  #remember(lease: GrantedLease): void {
    const now = this.#now();
    for (const [id, old] of this.#known) {
      if (old.expiresAt < now - 60_000) this.#known.delete(id);
    }
    this.#known.set(lease.id, lease);
  }
}
