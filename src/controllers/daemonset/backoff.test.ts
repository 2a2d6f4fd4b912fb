import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import { Backoff } from './backoff.ts';

describe('failed pod back-off', () => {
  it('starts at 1 s, doubles to the maximum, and starts over after twice the maximum', () => {
    const clock = new FakeClock(0);
    const backoff = new Backoff(clock, 1_000, 4_000);
    assert.equal(backoff.inBackoff('k'), false);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      backoff.next('k');
      delays.push(backoff.get('k'));
      assert.equal(backoff.inBackoff('k'), true);
      clock.advance(backoff.get('k'));
      assert.equal(backoff.inBackoff('k'), false);
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 4_000]);
    clock.advance(8_001);
    backoff.next('k');
    assert.equal(backoff.get('k'), 1_000);
  });
});
