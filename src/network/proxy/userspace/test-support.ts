// Helpers for the userspace data plane's tests: backends on 127.0.0.1 that answer their
// own name, rules with defaults, and a client that reports how a connection ended.
// Real sockets here only ever use loopback addresses.

import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { Logger } from '../../../client/index.ts';
import type { ProxyEndpoint, ServicePortRule } from '../types.ts';

export interface Backend {
  name: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  endpoint(isLocal?: boolean): ProxyEndpoint;
}

export interface Backends {
  list: Backend[];
  close(): Promise<void>;
}

/** HTTP servers on 127.0.0.1 random ports, each answering its name. */
export async function httpBackends(names: string[]): Promise<Backends> {
  const servers: http.Server[] = [];
  const list = await Promise.all(
    names.map(async (name) => {
      const server = http.createServer((_req, res) => res.end(name));
      servers.push(server);
      const backend: Backend = {
        name,
        port: await listen(server),
        connections: 0,
        endpoint: (isLocal = true) => ({ ip: '127.0.0.1', port: backend.port, isLocal }),
      };
      server.on('connection', () => backend.connections++);
      return backend;
    }),
  );
  return {
    list,
    close: async () => {
      await Promise.all(
        servers.map((s) => {
          s.closeAllConnections();
          return new Promise((r) => s.close(r));
        }),
      );
    },
  };
}

/** UDP servers on 127.0.0.1 that answer each datagram with `name:datagram`. */
export async function udpBackends(names: string[]): Promise<Backends> {
  const sockets: dgram.Socket[] = [];
  const list = await Promise.all(
    names.map(async (name) => {
      const socket = dgram.createSocket('udp4');
      sockets.push(socket);
      socket.on('message', (msg, from) => socket.send(`${name}:${msg}`, from.port, from.address));
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const port = socket.address().port;
      return {
        name,
        port,
        connections: 0,
        endpoint: (isLocal = true) => ({ ip: '127.0.0.1', port, isLocal }),
      };
    }),
  );
  return {
    list,
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

export function listen(server: net.Server, host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** A port that was free on `host` a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, host);
  await new Promise((r) => server.close(r));
  return port;
}

export function rule(
  id: string,
  fields: Partial<ServicePortRule> & { endpoints: ProxyEndpoint[] },
): ServicePortRule {
  const [namespace, name] = id.split('/') as [string, string];
  return {
    id,
    namespace,
    name,
    portName: '',
    protocol: 'TCP',
    clusterIPs: [],
    port: 80,
    nodePort: 0,
    externalIPs: [],
    loadBalancerIPs: [],
    sessionAffinity: null,
    externalLocalOnly: false,
    internalLocalOnly: false,
    ...fields,
  };
}

export interface GetOptions {
  agent?: http.Agent;
  localAddress?: string;
}

/** One HTTP GET; resolves with the body. A fresh connection unless an agent is given. */
export function get(host: string, port: number, opts: GetOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, agent: opts.agent ?? false, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Connects and waits for the first thing that happens: an error code, data, or a close. */
export function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.on('data', () => {
      resolve('data');
      socket.destroy();
    });
    socket.on('close', () => resolve('closed'));
  });
}

export interface CapturedLog extends Logger {
  warnings: string[];
}

export function captureLog(): CapturedLog {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => {},
    warn: (_fields, message) => warnings.push(message),
    error: (_fields, message) => warnings.push(message),
  };
}

export function sendUdp(
  socket: dgram.Socket,
  host: string,
  port: number,
  text: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no UDP reply from ${host}:${port}`)), 5000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg.toString());
    });
    socket.send(text, port, host);
  });
}
