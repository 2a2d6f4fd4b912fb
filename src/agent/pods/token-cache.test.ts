import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsRefresh, TokenCache, type IssuedToken } from './token-cache.ts';

const HOUR = 3600_000;

function issued(at: number, seconds: number, token = 't'): IssuedToken {
  return { token, expirationTimestamp: new Date(at + seconds * 1000), expirationSeconds: seconds };
}

describe('needsRefresh', () => {
  it('keeps a token until 80% of its lifetime has passed', () => {
    const t = issued(0, 3600);
    assert.equal(needsRefresh(t, 0.79 * HOUR), false);
    assert.equal(needsRefresh(t, 0.81 * HOUR), true);
  });

  it('refreshes a long-lived token after a day', () => {
    const t = issued(0, 7 * 24 * 3600);
    assert.equal(needsRefresh(t, 23 * HOUR), false);
    assert.equal(needsRefresh(t, 25 * HOUR), true);
  });
});

describe('TokenCache', () => {
  it('asks once for concurrent callers and reuses the answer until it is old', async () => {
    let now = 0;
    let asked = 0;
    const cache = new TokenCache(() => now);
    const request = async () => issued(now, 3600, `t${++asked}`);
    const [a, b] = await Promise.all([
      cache.get('k', 'pod', request),
      cache.get('k', 'pod', request),
    ]);
    assert.deepEqual([a, b, asked], ['t1', 't1', 1]);
    now = 0.5 * HOUR;
    assert.equal(await cache.get('k', 'pod', request), 't1');
    now = 0.9 * HOUR;
    assert.equal(await cache.get('k', 'pod', request), 't2');
  });

  it('forgets the tokens of a pod that is gone', async () => {
    let asked = 0;
    const cache = new TokenCache(() => 0);
    const request = async () => issued(0, 3600, `t${++asked}`);
    await cache.get('k', 'pod', request);
    cache.forgetPod('pod');
    assert.equal(await cache.get('k', 'pod', request), 't2');
  });

  it('does not keep a failed request', async () => {
    const cache = new TokenCache(() => 0);
    await assert.rejects(
      cache.get('k', 'pod', () => Promise.reject(new Error('no'))),
      /no/,
    );
    assert.equal(await cache.get('k', 'pod', async () => issued(0, 3600, 'ok')), 'ok');
  });
});
