import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeZoneState, RateLimitedTimedQueue, zoneKey } from './zones.ts';

describe('zoneKey', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['no topology labels', {}, ''],
    ['zone only', { 'topology.kubernetes.io/zone': 'z' }, ':\x00:z'],
    [
      'region and zone',
      { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' },
      'r:\x00:z',
    ],
    [
      'the beta labels win',
      { 'failure-domain.beta.kubernetes.io/zone': 'old', 'topology.kubernetes.io/zone': 'new' },
      ':\x00:old',
    ],
  ];
  for (const [name, labels, want] of cases) {
    it(name, () => assert.equal(zoneKey({ metadata: { labels } }), want));
  }
});

describe('computeZoneState', () => {
  const ready = (...s: string[]) => s.map((status) => ({ type: 'Ready', status }));
  const cases: [string, ReturnType<typeof ready>, string][] = [
    ['all Ready', ready('True', 'True'), 'Normal'],
    ['none Ready', ready('False', 'Unknown'), 'FullDisruption'],
    ['two of three down is still normal', ready('True', 'False', 'Unknown'), 'Normal'],
    ['three of five down', ready('True', 'True', 'False', 'False', 'Unknown'), 'PartialDisruption'],
    [
      'three of six down is under 55%',
      ready('True', 'True', 'True', 'False', 'False', 'Unknown'),
      'Normal',
    ],
  ];
  for (const [name, conditions, want] of cases) {
    it(name, () => assert.equal(computeZoneState(conditions, 0.55).state, want));
  }
});

describe('RateLimitedTimedQueue', () => {
  it('processes each name once, one per token, until it is removed', async () => {
    let now = 0;
    const q = new RateLimitedTimedQueue(0.1, now);
    const seen: string[] = [];
    const fn = async (name: string) => (seen.push(name), { ok: true as const });
    assert.ok(q.add('a', 'uid-a', now));
    assert.ok(q.add('b', 'uid-b', now));
    assert.ok(!q.add('a', 'uid-a', now), 'a name is known until removed');
    await q.try(() => now, fn);
    assert.deepEqual(seen, ['a']);
    assert.equal(q.nextDue(now), 10_000);
    now = 10_000;
    await q.try(() => now, fn);
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(q.nextDue(now), undefined);
    assert.ok(!q.add('a', 'uid-a', now), 'processed names stay known');
    assert.ok(q.remove('a'));
    assert.ok(q.add('a', 'uid-a', now));
  });

  it('retries an item after the wait it asks for, and admits nothing at rate 0', async () => {
    let now = 0;
    const q = new RateLimitedTimedQueue(1, now);
    q.add('a', 'uid-a', now);
    await q.try(
      () => now,
      async () => ({ ok: false, retryAfterMs: 50 }),
    );
    assert.equal(q.nextDue(now), 1_000, 'due after 51 ms, but the next token comes at 1 s');
    q.swapLimiter(0, now);
    now = 5_000;
    let calls = 0;
    await q.try(
      () => now,
      async () => (calls++, { ok: true }),
    );
    assert.equal(calls, 0);
    assert.equal(q.nextDue(now), undefined);
  });
});
