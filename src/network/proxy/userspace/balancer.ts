// Endpoint choice for one service port: round-robin, optionally sticky per client IP
// (`sessionAffinity: ClientIP`), optionally limited to endpoints on this node (the
// `Local` traffic policies). Kept free of sockets so it can be tested with a fake clock.

import type { ProxyEndpoint, ServicePortRule } from '../types.ts';

export type Clock = () => number;

interface Affinity {
  endpoint: string;
  lastUsed: number;
}

export function endpointKey(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export class Balancer {
  #all: ProxyEndpoint[] = [];
  #local: ProxyEndpoint[] = [];
  // One cursor per list, so local-only listeners do not skew the spread of the others.
  #cursorAll = 0;
  #cursorLocal = 0;
  #affinityMs: number | null = null;
  // Keyed by client IP plus the list it was chosen from, since a local-only listener
  // must never be sent to a remote endpoint another listener remembered.
  readonly #affinity = new Map<string, Affinity>();
  #lastSweep = 0;
  readonly #now: Clock;

  constructor(rule: ServicePortRule, now: Clock = Date.now) {
    this.#now = now;
    this.update(rule);
  }

  /** Takes the rule's endpoints and affinity; remembered clients stay where they are if their endpoint survives. */
  update(rule: ServicePortRule): void {
    this.#all = rule.endpoints;
    this.#local = rule.endpoints.filter((e) => e.isLocal);
    const affinityMs = rule.sessionAffinity ? rule.sessionAffinity.timeoutSeconds * 1000 : null;
    if (affinityMs !== this.#affinityMs) this.#affinity.clear();
    this.#affinityMs = affinityMs;
    const alive = new Set(this.#all.map(endpointKey));
    for (const [client, a] of this.#affinity) {
      if (!alive.has(a.endpoint)) this.#affinity.delete(client);
    }
  }

  hasEndpoint(key: string): boolean {
    return this.#all.some((e) => endpointKey(e) === key);
  }

  /**
   * The endpoints to try for a new connection from `clientIp`, best first: the remembered
   * one (affinity) or the next in round-robin, then the rest in rotation so a failed
   * connect can fall over to the next. Empty means the connection must be rejected.
   */
  candidates(clientIp: string, localOnly: boolean): ProxyEndpoint[] {
    const list = localOnly ? this.#local : this.#all;
    if (list.length === 0) return [];
    let start = -1;
    if (this.#affinityMs !== null) {
      const remembered = this.#affinity.get(affinityKey(clientIp, localOnly));
      if (remembered && this.#now() - remembered.lastUsed <= this.#affinityMs) {
        start = list.findIndex((e) => endpointKey(e) === remembered.endpoint);
      }
    }
    if (start < 0) start = this.#advance(localOnly, list.length);
    return [...list.slice(start), ...list.slice(0, start)];
  }

  /** Records that `clientIp` got through to `endpoint`, for affinity. */
  connected(clientIp: string, localOnly: boolean, endpoint: ProxyEndpoint): void {
    if (this.#affinityMs === null) return;
    const now = this.#now();
    this.#affinity.set(affinityKey(clientIp, localOnly), {
      endpoint: endpointKey(endpoint),
      lastUsed: now,
    });
    // Expired entries are dropped now and then rather than per connection, to bound
    // memory without a timer per client.
    if (now - this.#lastSweep > this.#affinityMs) {
      this.#lastSweep = now;
      for (const [client, a] of this.#affinity) {
        if (now - a.lastUsed > this.#affinityMs) this.#affinity.delete(client);
      }
    }
  }

  #advance(localOnly: boolean, length: number): number {
    if (localOnly) return this.#cursorLocal++ % length;
    return this.#cursorAll++ % length;
  }
}

function affinityKey(clientIp: string, localOnly: boolean): string {
  return localOnly ? `local/${clientIp}` : clientIp;
}
