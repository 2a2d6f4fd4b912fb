// The user-space data plane, in the spirit of kube-proxy's old userspace mode and k3s's
// agent load balancer: every service address is a real socket of this process, which
// forwards each connection (or UDP session) to an endpoint. It needs no root when the
// service IPs are loopback addresses; as root it makes other service IPs local on a
// dummy interface first.
//
// State: `#listeners` maps `PROTO/ip:port` to the bound socket of one service port;
// `#services` maps a rule id to what its listeners share. apply() diffs the desired
// listeners against those and touches only the difference; an endpoint change updates
// the shared ServicePort in place. Applies run one at a time, in call order.

import net from 'node:net';
import type { Logger } from '../../../client/index.ts';
import type { DataPlane, ProxyTable, ServicePortRule } from '../types.ts';
import type { Clock } from './balancer.ts';
import {
  hostPort,
  ServicePort,
  type Listener,
  type ListenerOptions,
  type ListenerSpec,
  type ServiceCounters,
} from './service-port.ts';
import { TcpListener } from './tcp.ts';
import { UdpListener } from './udp.ts';
import { ServiceAddresses, type RunIp } from './vips.ts';

export interface UserspaceDataPlaneOptions {
  log: Logger;
  /** The node address node ports listen on. Default `0.0.0.0`. */
  bindAddress?: string;
  /** The dummy interface that holds non-loopback service IPs. Default `wharf-svc0`. */
  vipInterface?: string;
  /** Whether service IPs may be added to `vipInterface` (needs root). Default: running as root. */
  canAddAddresses?: boolean;
  /** How long a connect to one endpoint may take before the next is tried. Default 1 s. */
  connectTimeoutMs?: number;
  /** How long a UDP session lives without a datagram either way. Default 60 s. */
  udpIdleTimeoutMs?: number;
  /** UDP sessions per listener; datagrams from further clients are dropped. Default 4096. */
  udpMaxSessions?: number;
  /** For session-affinity timeouts. */
  clock?: Clock;
  /** Runs the `ip` command (tests). */
  runIp?: RunIp;
}

interface Bound {
  serviceId: string;
  listener: Listener;
}

interface Wanted {
  serviceId: string;
  spec: ListenerSpec;
  /** Node ports bind the node address, which is not a service IP to manage. */
  nodePort: boolean;
}

export class UserspaceDataPlane implements DataPlane {
  readonly mode = 'userspace' as const;
  readonly #log: Logger;
  readonly #bindAddress: string;
  readonly #clock: Clock;
  readonly #listenerOpts: ListenerOptions;
  readonly #addresses: ServiceAddresses;
  readonly #services = new Map<string, ServicePort>();
  readonly #listeners = new Map<string, Bound>();
  /** Listener key → the reason last logged, so a failing bind is logged once, not per apply. */
  readonly #bindFailures = new Map<string, string>();
  readonly #warned = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: UserspaceDataPlaneOptions) {
    this.#log = opts.log;
    this.#bindAddress = opts.bindAddress ?? '0.0.0.0';
    this.#clock = opts.clock ?? Date.now;
    this.#listenerOpts = {
      log: opts.log,
      connectTimeoutMs: opts.connectTimeoutMs ?? 1000,
      udpIdleTimeoutMs: opts.udpIdleTimeoutMs ?? 60_000,
      udpMaxSessions: opts.udpMaxSessions ?? 4096,
    };
    this.#addresses = new ServiceAddresses({
      log: opts.log,
      iface: opts.vipInterface ?? 'wharf-svc0',
      canAdd: opts.canAddAddresses ?? process.getuid?.() === 0,
      runIp: opts.runIp,
    });
  }

  apply(table: ProxyTable): Promise<void> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new Error('userspace data plane is closed');
      return this.#apply(table);
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  close(): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#closed) return;
      this.#closed = true;
      await Promise.all([...this.#listeners.values()].map((b) => b.listener.close()));
      this.#listeners.clear();
      this.#services.clear();
      await this.#addresses.close();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The counters of one service port, for tests and debugging; undefined when not applied. */
  counters(serviceId: string): Readonly<ServiceCounters> | undefined {
    return this.#services.get(serviceId)?.counters;
  }

  async #apply(table: ProxyTable): Promise<void> {
    const wanted = this.#wantedListeners(table.services);

    // Close first: a port may move from one service to another in one table.
    const closing: Promise<void>[] = [];
    for (const [key, bound] of this.#listeners) {
      if (wanted.get(key)?.serviceId === bound.serviceId) continue;
      this.#listeners.delete(key);
      closing.push(bound.listener.close());
    }
    await Promise.all(closing);

    const rules = new Map(table.services.map((r) => [r.id, r]));
    for (const id of this.#services.keys()) if (!rules.has(id)) this.#services.delete(id);
    for (const rule of rules.values()) {
      const existing = this.#services.get(rule.id);
      if (existing) existing.update(rule);
      else this.#services.set(rule.id, new ServicePort(rule, this.#clock));
    }
    for (const [key, bound] of this.#listeners) {
      bound.listener.localOnly = wanted.get(key)!.spec.localOnly;
      bound.listener.endpointsChanged();
    }

    const serviceIps = new Set<string>();
    for (const w of wanted.values()) if (!w.nodePort) serviceIps.add(w.spec.ip);
    const bindable = await this.#addresses.sync(serviceIps);

    for (const key of this.#bindFailures.keys())
      if (!wanted.has(key)) this.#bindFailures.delete(key);
    const opening = [...wanted]
      .filter(([key, w]) => !this.#listeners.has(key) && (w.nodePort || bindable.has(w.spec.ip)))
      .map(([key, w]) => this.#open(key, w));
    await Promise.all(opening);
  }

  #wantedListeners(rules: ServicePortRule[]): Map<string, Wanted> {
    const wanted = new Map<string, Wanted>();
    for (const rule of rules) {
      if (rule.protocol !== 'TCP' && rule.protocol !== 'UDP') {
        this.#warnOnce(
          `protocol/${rule.id}`,
          { service: rule.id },
          `service proxy: ${rule.protocol} is not proxied in user space; service port ${rule.id} is not reachable`,
        );
        continue;
      }
      const add = (ip: string, port: number, localOnly: boolean, nodePort: boolean): void => {
        const key = `${rule.protocol}/${hostPort(ip, port)}`;
        const holder = wanted.get(key);
        if (holder && holder.serviceId !== rule.id) {
          this.#warnOnce(
            `conflict/${key}/${rule.id}`,
            { service: rule.id, address: key },
            `service proxy: ${key} is already used by ${holder.serviceId}; ignored for ${rule.id}`,
          );
          return;
        }
        if (holder) return;
        const spec = { protocol: rule.protocol as 'TCP' | 'UDP', ip, port, localOnly };
        wanted.set(key, { serviceId: rule.id, spec, nodePort });
      };
      for (const ip of rule.clusterIPs) add(ip, rule.port, rule.internalLocalOnly, false);
      for (const ip of [...rule.externalIPs, ...rule.loadBalancerIPs]) {
        add(ip, rule.port, rule.externalLocalOnly, false);
      }
      if (rule.nodePort > 0) add(this.#bindAddress, rule.nodePort, rule.externalLocalOnly, true);
    }
    return wanted;
  }

  async #open(key: string, w: Wanted): Promise<void> {
    const service = this.#services.get(w.serviceId)!;
    const listener =
      w.spec.protocol === 'TCP'
        ? new TcpListener(w.spec, service, this.#listenerOpts)
        : new UdpListener(w.spec, service, this.#listenerOpts);
    try {
      await listener.listen();
    } catch (err) {
      await listener.close();
      this.#bindFailed(key, w, err as NodeJS.ErrnoException);
      return;
    }
    if (this.#bindFailures.delete(key)) {
      this.#log.info({ service: w.serviceId, address: key }, 'service proxy: listening now');
    }
    this.#listeners.set(key, { serviceId: w.serviceId, listener });
  }

  // A failed bind is retried on every apply (the port may have been freed), but logged
  // only when its reason changes.
  #bindFailed(key: string, w: Wanted, err: NodeJS.ErrnoException): void {
    const code = err.code ?? err.message;
    if (this.#bindFailures.get(key) === code) return;
    this.#bindFailures.set(key, code);
    this.#log.warn(
      { service: w.serviceId, address: key, err },
      `service proxy: cannot listen on ${key} for ${w.serviceId}: ${code}${bindHint(w, code)}`,
    );
  }

  #warnOnce(key: string, fields: object, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn(fields, message);
  }
}

function bindHint(w: Wanted, code: string): string {
  if (code === 'EADDRINUSE') return ' (another socket holds this port)';
  if (code === 'EACCES' && w.spec.port < 1024) {
    return ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)';
  }
  if (code === 'EADDRNOTAVAIL') return ' (the address is not on this machine)';
  if (code === 'EAFNOSUPPORT' && net.isIPv6(w.spec.ip)) return ' (IPv6 is off on this machine)';
  return '';
}
