import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProxyTable, ServicePortRule } from '../types.ts';
import { UserspaceDataPlane } from './data-plane.ts';
import {
  captureLog,
  connectOutcome,
  freePort,
  get,
  httpBackends,
  listen,
  rule,
  type Backends,
} from './test-support.ts';

// Each test has a VIP of its own in 127.96.0.0/16, bindable without root.
const table = (...services: ServicePortRule[]): ProxyTable => ({ services });

function newPlane(opts: Partial<ConstructorParameters<typeof UserspaceDataPlane>[0]> = {}) {
  const log = captureLog();
  const plane = new UserspaceDataPlane({ log, canAddAddresses: false, ...opts });
  return { plane, log };
}

async function tally(host: string, port: number, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = await get(host, port);
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  return seen;
}

describe('userspace data plane, TCP', () => {
  let backends: Backends;
  let eps: ReturnType<Backends['list'][number]['endpoint']>[];
  before(async () => {
    backends = await httpBackends(['alpha', 'beta', 'gamma']);
    eps = backends.list.map((b) => b.endpoint());
  });
  after(() => backends.close());

  it('spreads connections round-robin over the endpoints', async () => {
    const vip = '127.96.0.10';
    const port = await freePort(vip);
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints: eps })));
    const seen = await tally(vip, port, 30);
    assert.deepEqual(Object.fromEntries(seen), { alpha: 10, beta: 10, gamma: 10 });
    assert.equal(plane.counters('ns/web')?.connections, 30);
    await plane.close();
  });

  it('keeps an HTTP keep-alive connection on one endpoint', async () => {
    const vip = '127.96.0.11';
    const port = await freePort(vip);
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints: eps })));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) names.add(await get(vip, port, { agent }));
    assert.equal(names.size, 1);
    assert.equal(plane.counters('ns/web')?.connections, 1);
    agent.destroy();
    await plane.close();
  });

  it('falls over to the next endpoint when a connect is refused', async () => {
    const vip = '127.96.0.12';
    const port = await freePort(vip);
    const dead = { ip: '127.0.0.1', port: await freePort(), isLocal: true };
    const { plane } = newPlane();
    const endpoints = [eps[0]!, dead, eps[2]!];
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints })));
    const seen = await tally(vip, port, 12);
    assert.deepEqual([...seen.keys()].sort(), ['alpha', 'gamma']);
    assert.equal(
      [...seen.values()].reduce((x, y) => x + y),
      12,
    );
    assert.ok(plane.counters('ns/web')!.failedConnects >= 4);
    await plane.close();
  });

  it('carries a half-close through, with a few megabytes under backpressure', async () => {
    // The backend answers only after the client's FIN: a proxy that closed on the first
    // FIN, or lost buffered bytes, fails this.
    const counter = net.createServer({ allowHalfOpen: true }, (socket) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('end', () => socket.end(`got ${bytes}`));
    });
    const vip = '127.96.0.22';
    const port = await freePort(vip);
    const endpoint = { ip: '127.0.0.1', port: await listen(counter), isLocal: true };
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/count', { clusterIPs: [vip], port, endpoints: [endpoint] })));
    const client = net.connect({ host: vip, port, allowHalfOpen: true });
    const size = 4 * 1024 * 1024;
    client.end(Buffer.alloc(size, 7));
    let answer = '';
    client.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    await new Promise((r) => client.once('close', r));
    assert.equal(answer, `got ${size}`);
    await plane.close();
    await new Promise((r) => counter.close(r));
  });

  it('refuses at once without endpoints, and when every endpoint is down', async () => {
    const vip = '127.96.0.13';
    const port = await freePort(vip);
    const dead = { ip: '127.0.0.1', port: await freePort(), isLocal: true };
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/none', { clusterIPs: [vip], port, endpoints: [] })));
    assert.equal(await connectOutcome(vip, port), 'ECONNRESET');
    await plane.apply(table(rule('ns/none', { clusterIPs: [vip], port, endpoints: [dead] })));
    assert.equal(await connectOutcome(vip, port), 'ECONNRESET');
    assert.equal(plane.counters('ns/none')?.rejected, 2);
    await plane.close();
  });

  it('keeps a client IP on one endpoint with ClientIP session affinity', async () => {
    const vip = '127.96.0.14';
    const port = await freePort(vip);
    const { plane } = newPlane();
    const sticky = { sessionAffinity: { timeoutSeconds: 60 } };
    await plane.apply(
      table(rule('ns/web', { clusterIPs: [vip], port, endpoints: eps, ...sticky })),
    );
    const from = async (localAddress: string) => {
      const names = new Set<string>();
      for (let i = 0; i < 5; i++) names.add(await get(vip, port, { localAddress }));
      return [...names];
    };
    const [first, ...others] = await from('127.0.0.2');
    assert.deepEqual(others, []);
    const [second, ...others2] = await from('127.0.0.3');
    assert.deepEqual(others2, []);
    assert.notEqual(first, second, 'a second client takes the next endpoint');
    await plane.close();
  });

  it('updates endpoints in place: open connections stay, new ones go to the new endpoints', async () => {
    const vip = '127.96.0.15';
    const port = await freePort(vip);
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints: [eps[0]!] })));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    assert.equal(await get(vip, port, { agent }), 'alpha');
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints: [eps[1]!] })));
    assert.equal(await get(vip, port, { agent }), 'alpha', 'the open connection survives');
    assert.equal(await get(vip, port), 'beta');
    assert.equal(plane.counters('ns/web')?.connections, 2, 'same service state, same counters');
    agent.destroy();
    await plane.close();
  });

  it('closes the listener and its connections when the service goes', async () => {
    const vip = '127.96.0.16';
    const port = await freePort(vip);
    const { plane } = newPlane();
    await plane.apply(table(rule('ns/web', { clusterIPs: [vip], port, endpoints: eps })));
    const open = net.connect({ host: vip, port });
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    open.on('error', () => {});
    await plane.apply(table());
    await closed;
    assert.equal(await connectOutcome(vip, port), 'ECONNREFUSED');
    assert.equal(plane.counters('ns/web'), undefined);
    await plane.close();
  });

  it('listens on the node port at the bind address, and on external IPs', async () => {
    const nodePort = await freePort();
    const external = '127.96.0.18';
    const port = await freePort(external);
    const { plane } = newPlane({ bindAddress: '127.0.0.1' });
    const svc = rule('ns/np', {
      clusterIPs: ['127.96.0.17'],
      externalIPs: [external],
      port,
      nodePort,
      endpoints: [eps[2]!],
    });
    await plane.apply(table(svc));
    assert.equal(await get('127.0.0.1', nodePort), 'gamma');
    assert.equal(await get(external, port), 'gamma');
    await plane.close();
  });

  it('sends Local-policy traffic only to endpoints on this node', async () => {
    const vip = '127.96.0.19';
    const port = await freePort(vip);
    const nodePort = await freePort();
    const { plane } = newPlane({ bindAddress: '127.0.0.1' });
    const endpoints = [backends.list[0]!.endpoint(false), backends.list[1]!.endpoint(true)];
    const svc = { clusterIPs: [vip], port, nodePort, endpoints };
    await plane.apply(table(rule('ns/local', { ...svc, internalLocalOnly: true })));
    assert.deepEqual([...(await tally(vip, port, 4)).keys()], ['beta']);
    assert.deepEqual([...(await tally('127.0.0.1', nodePort, 4)).keys()].sort(), ['alpha', 'beta']);
    const remoteOnly = { ...svc, endpoints: [endpoints[0]!], externalLocalOnly: true };
    await plane.apply(table(rule('ns/local', remoteOnly)));
    assert.equal(await connectOutcome('127.0.0.1', nodePort), 'ECONNRESET');
    assert.equal(await get(vip, port), 'alpha');
    await plane.close();
  });

  it('logs a port in use once, keeps the other listeners, and binds it once it is free', async () => {
    const vip = '127.96.0.20';
    const port = await freePort(vip);
    const squatter = net.createServer();
    const nodePort = await listen(squatter, '127.0.0.1');
    const { plane, log } = newPlane({ bindAddress: '127.0.0.1' });
    const svc = table(rule('ns/web', { clusterIPs: [vip], port, nodePort, endpoints: eps }));
    await plane.apply(svc);
    await plane.apply(svc);
    assert.equal(
      log.warnings.filter((w) => w.includes('EADDRINUSE')).length,
      1,
      log.warnings.join('\n'),
    );
    assert.ok(['alpha', 'beta', 'gamma'].includes(await get(vip, port)));
    await new Promise((r) => squatter.close(r));
    await plane.apply(svc);
    assert.ok(['alpha', 'beta', 'gamma'].includes(await get('127.0.0.1', nodePort)));
    await plane.close();
  });

  it('frees every port on close()', async () => {
    const vip = '127.96.0.21';
    const port = await freePort(vip);
    const nodePort = await freePort();
    const { plane } = newPlane({ bindAddress: '127.0.0.1' });
    await plane.apply(
      table(
        rule('ns/web', { clusterIPs: [vip], port, nodePort, endpoints: eps }),
        rule('ns/dns', { protocol: 'UDP', clusterIPs: [vip], port, endpoints: eps }),
      ),
    );
    const open = net.connect({ host: vip, port });
    open.on('error', () => {});
    await new Promise((r) => open.once('connect', r));
    const openClosed = new Promise((r) => open.once('close', r));
    await plane.close();
    await openClosed;
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(port, vip, r));
    await new Promise<void>((r) => udp.close(r));
    for (const [host, p] of [
      [vip, port],
      ['127.0.0.1', nodePort],
    ] as const) {
      const server = net.createServer();
      await listen(server, host, p);
      await new Promise((r) => server.close(r));
    }
    await assert.rejects(plane.apply(table()), /closed/);
  });
});
