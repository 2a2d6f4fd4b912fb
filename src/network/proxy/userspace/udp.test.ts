import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { ProxyEndpoint, ServicePortRule } from '../types.ts';
import { UserspaceDataPlane } from './data-plane.ts';
import { captureLog, rule, sendUdp, udpBackends, type Backends } from './test-support.ts';

async function udpClient(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return socket;
}

function closeAll(...sockets: dgram.Socket[]): Promise<unknown> {
  return Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), `waited in vain for ${what}`);
}

describe('userspace data plane, UDP', () => {
  let backends: Backends;
  let dns: (fields: { endpoints: ProxyEndpoint[] }) => ServicePortRule;
  before(async () => {
    backends = await udpBackends(['alpha', 'beta']);
  });
  after(() => backends.close());

  const eps = () => backends.list.map((b) => b.endpoint());
  let nextVip = 30;
  const plane = (opts: { udpIdleTimeoutMs?: number; udpMaxSessions?: number } = {}) => {
    const vip = `127.96.0.${nextVip++}`;
    dns = (fields) => rule('ns/dns', { protocol: 'UDP', clusterIPs: [vip], port: 5353, ...fields });
    return {
      vip,
      plane: new UserspaceDataPlane({ log: captureLog(), canAddAddresses: false, ...opts }),
    };
  };

  it('relays datagrams and replies, one endpoint per client address', async () => {
    const { vip, plane: p } = plane();
    await p.apply({ services: [dns({ endpoints: eps() })] });
    const [one, two] = [await udpClient(), await udpClient()];
    assert.equal(await sendUdp(one, vip, 5353, 'ping'), 'alpha:ping');
    assert.equal(await sendUdp(one, vip, 5353, 'again'), 'alpha:again');
    assert.equal(await sendUdp(two, vip, 5353, 'ping'), 'beta:ping');
    assert.deepEqual(p.counters('ns/dns'), {
      connections: 2,
      active: 2,
      rejected: 0,
      failedConnects: 0,
    });
    await closeAll(one, two);
    await p.close();
  });

  it('ends idle sessions', async () => {
    const { vip, plane: p } = plane({ udpIdleTimeoutMs: 30 });
    await p.apply({ services: [dns({ endpoints: eps() })] });
    const client = await udpClient();
    assert.equal(await sendUdp(client, vip, 5353, 'a'), 'alpha:a');
    await waitFor('the session to time out', () => p.counters('ns/dns')!.active === 0);
    assert.equal(await sendUdp(client, vip, 5353, 'b'), 'beta:b', 'a new session, chosen anew');
    await closeAll(client);
    await p.close();
  });

  it('ends sessions whose endpoint left, keeping the listener', async () => {
    const { vip, plane: p } = plane();
    const [alpha, beta] = eps();
    await p.apply({ services: [dns({ endpoints: [alpha!] })] });
    const client = await udpClient();
    assert.equal(await sendUdp(client, vip, 5353, 'a'), 'alpha:a');
    await p.apply({ services: [dns({ endpoints: [beta!] })] });
    assert.equal(p.counters('ns/dns')!.active, 0);
    assert.equal(await sendUdp(client, vip, 5353, 'b'), 'beta:b');
    await closeAll(client);
    await p.close();
  });

  it('drops datagrams from new clients beyond the session bound, and without endpoints', async () => {
    const { vip, plane: p } = plane({ udpMaxSessions: 1 });
    await p.apply({ services: [dns({ endpoints: eps() })] });
    const [one, two] = [await udpClient(), await udpClient()];
    assert.equal(await sendUdp(one, vip, 5353, 'a'), 'alpha:a');
    two.send('dropped', 5353, vip);
    // Datagrams to one socket are handled in order: once this reply is back, the one
    // from `two` has been seen.
    assert.equal(await sendUdp(one, vip, 5353, 'b'), 'alpha:b');
    assert.equal(p.counters('ns/dns')!.rejected, 1);

    await p.apply({ services: [dns({ endpoints: [] })] });
    one.send('nobody', 5353, vip);
    await waitFor('the datagram to be refused', () => p.counters('ns/dns')!.rejected === 2);
    await closeAll(one, two);
    await p.close();
  });
});
