import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import { RestartBackoff } from './backoff.ts';

describe('RestartBackoff', () => {
  it('restarts at once, then waits 10 s, 20 s, … up to 5 min from each exit', () => {
    const clock = new FakeClock(0);
    const backoff = new RestartBackoff(clock);
    assert.equal(backoff.remainingMs('c', 0), 0);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const exitedAt = clock.now();
      const wait = backoff.remainingMs('c', exitedAt);
      waits.push(wait);
      clock.advance(wait);
      assert.equal(backoff.remainingMs('c', exitedAt), 0);
    }
    assert.deepEqual(waits, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts over after a container ran well for twice the maximum', () => {
    const clock = new FakeClock(0);
    const backoff = new RestartBackoff(clock);
    backoff.remainingMs('c', 0);
    clock.advance(10_000);
    backoff.remainingMs('c', 0);
    assert.equal(backoff.currentDelayMs('c'), 20_000);
    clock.advance(600_001);
    assert.equal(backoff.remainingMs('c', clock.now()), 0);
    assert.equal(backoff.currentDelayMs('c'), 10_000);
  });

  it('keeps pods apart and forgets a pod by prefix', () => {
    const clock = new FakeClock(0);
    const backoff = new RestartBackoff(clock);
    backoff.remainingMs('a/web', 0);
    assert.equal(backoff.remainingMs('b/web', 0), 0);
    assert.equal(backoff.remainingMs('a/web', 0), 10_000);
    backoff.forget('a/');
    assert.equal(backoff.remainingMs('a/web', 0), 0);
  });
});
