import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Balancer } from './balancer.ts';
import { rule } from './test-support.ts';

const a = { ip: '10.1.0.1', port: 80, isLocal: true };
const b = { ip: '10.1.0.2', port: 80, isLocal: false };
const c = { ip: '10.1.0.3', port: 80, isLocal: true };

function firstPicks(balancer: Balancer, n: number, client = '192.0.2.1', localOnly = false) {
  return Array.from({ length: n }, () => {
    const [first] = balancer.candidates(client, localOnly);
    if (first) balancer.connected(client, localOnly, first);
    return first?.ip;
  });
}

describe('Balancer', () => {
  it('goes round-robin, and offers the rest in rotation for failover', () => {
    const balancer = new Balancer(rule('ns/s', { endpoints: [a, b, c] }));
    assert.deepEqual(firstPicks(balancer, 4), [a.ip, b.ip, c.ip, a.ip]);
    assert.deepEqual(
      balancer.candidates('192.0.2.1', false).map((e) => e.ip),
      [b.ip, c.ip, a.ip],
    );
  });

  it('offers nothing without endpoints, or without local ones for a local-only listener', () => {
    assert.deepEqual(new Balancer(rule('ns/s', { endpoints: [] })).candidates('x', false), []);
    assert.deepEqual(new Balancer(rule('ns/s', { endpoints: [b] })).candidates('x', true), []);
  });

  it('uses only local endpoints for a local-only listener', () => {
    const balancer = new Balancer(rule('ns/s', { endpoints: [a, b, c] }));
    assert.deepEqual(firstPicks(balancer, 4, 'x', true), [a.ip, c.ip, a.ip, c.ip]);
  });

  it('keeps a client on its endpoint until the affinity timeout passes without use', () => {
    let now = 0;
    const sticky = rule('ns/s', { endpoints: [a, b, c], sessionAffinity: { timeoutSeconds: 10 } });
    const balancer = new Balancer(sticky, () => now);
    const [first] = firstPicks(balancer, 1, 'client-1');
    assert.deepEqual(firstPicks(balancer, 3, 'client-1'), [first, first, first]);
    assert.notEqual(firstPicks(balancer, 1, 'client-2')[0], first);
    now += 9_000;
    assert.equal(firstPicks(balancer, 1, 'client-1')[0], first, 'each use renews the timeout');
    now += 10_001;
    assert.notEqual(firstPicks(balancer, 1, 'client-1')[0], first);
  });

  it('keeps affinity across an update while the endpoint stays, and forgets it when it goes', () => {
    const sticky = { sessionAffinity: { timeoutSeconds: 60 } };
    const balancer = new Balancer(rule('ns/s', { endpoints: [a, b], ...sticky }));
    assert.equal(firstPicks(balancer, 1, 'client')[0], a.ip);
    balancer.update(rule('ns/s', { endpoints: [c, a], ...sticky }));
    assert.equal(firstPicks(balancer, 1, 'client')[0], a.ip);
    balancer.update(rule('ns/s', { endpoints: [b, c], ...sticky }));
    assert.notEqual(firstPicks(balancer, 1, 'client')[0], a.ip);
    assert.equal(balancer.hasEndpoint('10.1.0.1:80'), false);
  });

  it('drops remembered clients when affinity is turned off', () => {
    const balancer = new Balancer(
      rule('ns/s', { endpoints: [a, b], sessionAffinity: { timeoutSeconds: 60 } }),
    );
    firstPicks(balancer, 1, 'client');
    balancer.update(rule('ns/s', { endpoints: [a, b] }));
    assert.deepEqual(firstPicks(balancer, 2, 'client'), [b.ip, a.ip]);
  });
});
