// A UDP listener for one service address. Each client address gets a session: a socket
// of its own towards one endpoint, so replies can be told apart and relayed back from
// the service address. Sessions end after an idle time, when their endpoint leaves, or
// when the listener closes; their number is bounded so a flood of source ports cannot
// exhaust file descriptors.

import dgram from 'node:dgram';
import net from 'node:net';
import type { ProxyEndpoint } from '../types.ts';
import { endpointKey } from './balancer.ts';
import type { Listener, ListenerOptions, ListenerSpec, ServicePort } from './service-port.ts';

interface Session {
  endpoint: ProxyEndpoint;
  socket: dgram.Socket;
  idle: NodeJS.Timeout;
}

export class UdpListener implements Listener {
  localOnly: boolean;
  readonly #spec: ListenerSpec;
  readonly #service: ServicePort;
  readonly #opts: ListenerOptions;
  readonly #socket: dgram.Socket;
  readonly #sessions = new Map<string, Session>();
  #warnedFull = false;
  #closed = false;

  constructor(spec: ListenerSpec, service: ServicePort, opts: ListenerOptions) {
    this.#spec = spec;
    this.localOnly = spec.localOnly;
    this.#service = service;
    this.#opts = opts;
    this.#socket = dgram.createSocket(net.isIPv6(spec.ip) ? 'udp6' : 'udp4');
    this.#socket.on('message', (msg, from) => this.#fromClient(msg, from));
  }

  listen(): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.#spec.ip, port: this.#spec.port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) =>
          this.#opts.log.warn({ service: this.#service.rule.id, err }, 'service proxy: UDP error'),
        );
        resolve();
      });
    });
  }

  endpointsChanged(): void {
    for (const [client, session] of this.#sessions) {
      if (!this.#service.balancer.hasEndpoint(endpointKey(session.endpoint))) this.#end(client);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const client of [...this.#sessions.keys()]) this.#end(client);
    await new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }

  #fromClient(msg: Buffer, from: dgram.RemoteInfo): void {
    const client = endpointKey({ ip: from.address, port: from.port });
    const session = this.#sessions.get(client) ?? this.#open(client, from);
    if (!session) return;
    session.idle.refresh();
    session.socket.send(msg, session.endpoint.port, session.endpoint.ip);
  }

  #open(client: string, from: dgram.RemoteInfo): Session | undefined {
    const counters = this.#service.counters;
    if (this.#sessions.size >= this.#opts.udpMaxSessions) {
      counters.rejected++;
      if (!this.#warnedFull) {
        this.#warnedFull = true;
        this.#opts.log.warn(
          { service: this.#service.rule.id, sessions: this.#sessions.size },
          'service proxy: too many UDP sessions; dropping datagrams from new clients',
        );
      }
      return undefined;
    }
    const endpoint = this.#service.balancer.candidates(from.address, this.localOnly)[0];
    if (!endpoint) {
      counters.rejected++;
      return undefined;
    }
    this.#service.balancer.connected(from.address, this.localOnly, endpoint);
    const socket = dgram.createSocket(net.isIPv6(endpoint.ip) ? 'udp6' : 'udp4');
    const session: Session = {
      endpoint,
      socket,
      idle: setTimeout(() => this.#end(client), this.#opts.udpIdleTimeoutMs).unref(),
    };
    // The socket is not connected (so the first datagram need not wait for a connect),
    // hence the check that a reply really comes from the endpoint.
    socket.on('message', (reply, source) => {
      if (source.address !== endpoint.ip || source.port !== endpoint.port) return;
      session.idle.refresh();
      this.#socket.send(reply, from.port, from.address);
    });
    socket.on('error', () => this.#end(client));
    this.#sessions.set(client, session);
    counters.connections++;
    counters.active++;
    return session;
  }

  #end(client: string): void {
    const session = this.#sessions.get(client);
    if (!session) return;
    this.#sessions.delete(client);
    this.#service.counters.active--;
    clearTimeout(session.idle);
    session.socket.close();
  }
}
