// What the listeners of one service port share: the rule as last applied, its balancer,
// and its counters. The object lives as long as the rule's id is in the table, so an
// endpoint change reaches every listener without reopening any of them.

import type { Logger } from '../../../client/index.ts';
import type { ServicePortRule } from '../types.ts';
import { Balancer, type Clock } from './balancer.ts';

export interface ServiceCounters {
  /** Connections accepted (TCP) or sessions opened (UDP). */
  connections: number;
  /** Connections or sessions open now. */
  active: number;
  /** Refused because no endpoint was usable. */
  rejected: number;
  /** Connects to an endpoint that failed or timed out (each followed by the next endpoint). */
  failedConnects: number;
}

export class ServicePort {
  rule: ServicePortRule;
  readonly balancer: Balancer;
  readonly counters: ServiceCounters = {
    connections: 0,
    active: 0,
    rejected: 0,
    failedConnects: 0,
  };

  constructor(rule: ServicePortRule, now: Clock) {
    this.rule = rule;
    this.balancer = new Balancer(rule, now);
  }

  update(rule: ServicePortRule): void {
    this.rule = rule;
    this.balancer.update(rule);
  }
}

/** Where and how a listener accepts traffic for one service port. */
export interface ListenerSpec {
  protocol: 'TCP' | 'UDP';
  ip: string;
  port: number;
  /** Only endpoints on this node (the `Local` traffic policy that applies to this address). */
  localOnly: boolean;
}

export interface ListenerOptions {
  log: Logger;
  connectTimeoutMs: number;
  udpIdleTimeoutMs: number;
  udpMaxSessions: number;
}

/** One bound socket. `listen` rejects with the bind error; `close` is idempotent. */
export interface Listener {
  localOnly: boolean;
  listen(): Promise<void>;
  /** The service's endpoints changed: drop whatever is tied to an endpoint that left. */
  endpointsChanged(): void;
  close(): Promise<void>;
}

export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
