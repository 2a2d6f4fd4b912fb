// A TCP listener for one service address: accept, choose an endpoint, connect (falling
// over to the next endpoint when a connect fails), then splice the two sockets with
// stream pipes so bytes move without per-chunk work of ours. Half-close is carried
// through (allowHalfOpen on both sides), and every socket has an 'error' listener from
// the moment it exists, so no failure can become an unhandled 'error' event.

import net from 'node:net';
import type { ProxyEndpoint } from '../types.ts';
import type { Listener, ListenerOptions, ListenerSpec, ServicePort } from './service-port.ts';

export class TcpListener implements Listener {
  localOnly: boolean;
  readonly #spec: ListenerSpec;
  readonly #service: ServicePort;
  readonly #opts: ListenerOptions;
  readonly #server: net.Server;
  // Client sockets only: closing a client closes its upstream through the splice.
  readonly #clients = new Set<net.Socket>();

  constructor(spec: ListenerSpec, service: ServicePort, opts: ListenerOptions) {
    this.#spec = spec;
    this.localOnly = spec.localOnly;
    this.#service = service;
    this.#opts = opts;
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) =>
      this.#accept(client),
    );
  }

  listen(): Promise<void> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.#spec.ip, port: this.#spec.port }, () => {
        server.off('error', reject);
        // After binding, errors come from accept (EMFILE and the like): the listener
        // stays, the failure is worth a line.
        server.on('error', (err) =>
          this.#opts.log.warn(
            { service: this.#service.rule.id, err },
            'service proxy: accept failed',
          ),
        );
        resolve();
      });
    });
  }

  endpointsChanged(): void {
    // Open connections keep their endpoint, as they do with kernel rules.
  }

  async close(): Promise<void> {
    for (const client of this.#clients) client.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    const counters = this.#service.counters;
    counters.connections++;
    counters.active++;
    this.#clients.add(client);
    // Resets from the client are routine; 'close' does the bookkeeping.
    client.on('error', () => {});
    client.once('close', () => {
      this.#clients.delete(client);
      counters.active--;
    });
    const clientIp = client.remoteAddress ?? '';
    const candidates = this.#service.balancer.candidates(clientIp, this.localOnly);
    this.#dial(client, clientIp, candidates, 0);
  }

  #dial(client: net.Socket, clientIp: string, candidates: ProxyEndpoint[], attempt: number): void {
    if (client.destroyed) return;
    const endpoint = candidates[attempt];
    if (!endpoint) {
      // A reset, not a clean close: the client learns at once that nobody is there,
      // as it would from a REJECT rule.
      this.#service.counters.rejected++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({
      host: endpoint.ip,
      port: endpoint.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      client.off('close', abandon);
      return true;
    };
    const fail = (): void => {
      if (!settle()) return;
      upstream.destroy();
      this.#service.counters.failedConnects++;
      this.#dial(client, clientIp, candidates, attempt + 1);
    };
    const abandon = (): void => {
      if (settle()) upstream.destroy();
    };
    const timer = setTimeout(fail, this.#opts.connectTimeoutMs);
    upstream.on('error', fail);
    client.once('close', abandon);
    upstream.once('connect', () => {
      if (!settle()) return;
      upstream.off('error', fail);
      this.#service.balancer.connected(clientIp, this.localOnly, endpoint);
      splice(client, upstream);
    });
  }
}

function splice(client: net.Socket, upstream: net.Socket): void {
  upstream.on('error', () => {});
  client.pipe(upstream);
  upstream.pipe(client);
  client.once('close', () => closeOther(client, upstream));
  upstream.once('close', () => closeOther(upstream, client));
}

// When one side is gone, the other may still hold bytes for it to deliver: if the gone
// side ended cleanly (its pipe already called end()), let the other finish writing, then
// drop it; otherwise (reset, error, removal) drop it at once.
function closeOther(closed: net.Socket, other: net.Socket): void {
  if (other.destroyed) return;
  if (closed.readableEnded) other.end(() => other.destroy());
  else other.destroy();
}
