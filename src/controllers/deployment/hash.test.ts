import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from './hash.ts';
import { podTemplate } from './fixtures.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('pod-template-hash', () => {
  it('is FNV-32a', () => {
    assert.equal(fnv32a(bytes('')), 0x811c9dc5);
    assert.equal(fnv32a(bytes('a')), 0xe40c292c);
    assert.equal(fnv32a(bytes('foobar')), 0xbf9cf968);
  });

  it('renders through rand.SafeEncodeString (no vowels, no 0, 1 or 3)', () => {
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });

  it('is stable for a template whatever its key order, nulls and empty fields', () => {
    const a = podTemplate('v1');
    const b = {
      spec: { containers: [{ command: ['sleep', '9'], image: 'v1', name: 'c', resources: {} }] },
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
    };
    assert.equal(computeHash(a), computeHash(b));
    assert.match(computeHash(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.notEqual(computeHash(a), computeHash(podTemplate('v2')));
  });

  it('changes with the collisionCount, 0 included', () => {
    const t = podTemplate('v1');
    const hashes = new Set([computeHash(t), computeHash(t, 0), computeHash(t, 1)]);
    assert.equal(hashes.size, 3);
    assert.equal(computeHash(t, 1), computeHash(t, 1));
  });

  it('compares templates without the hash label, nil and empty alike', () => {
    const t = podTemplate('v1');
    const rs = structuredClone(t);
    rs.metadata!.labels!['pod-template-hash'] = computeHash(t);
    (rs.metadata as Record<string, unknown>).creationTimestamp = null;
    assert.ok(equalIgnoreHash(t, rs));
    assert.ok(!equalIgnoreHash(t, podTemplate('v2')));
    assert.ok(!equalIgnoreHash(t, podTemplate('v1', { app: 'web', track: 'canary' })));
  });
});
