import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BURST_REPLICAS, slowStartBatch } from './manage.ts';

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4, … up to the count', async () => {
    // Calls of one batch start together and finish together.
    let inFlight = 0;
    let started = 0;
    const batches: number[] = [];
    let calls = 0;
    const result = await slowStartBatch(10, 1, async () => {
      calls++;
      inFlight++;
      started++;
      await new Promise((r) => setImmediate(r));
      if (--inFlight === 0) {
        batches.push(started);
        started = 0;
      }
    });
    assert.deepEqual(result, { successes: 10 });
    assert.equal(calls, 10);
    assert.deepEqual(batches, [1, 2, 4, 3], 'batches of 1, 2, 4, then the last 3');
  });

  it('stops after the first batch with a failure', async () => {
    let calls = 0;
    const boom = new Error('quota');
    const result = await slowStartBatch(100, 1, async () => {
      if (++calls >= 3) throw boom;
    });
    assert.equal(calls, 3, 'batch of 1, then the batch of 2 that failed');
    assert.deepEqual(result, { successes: 2, error: boom });
  });

  it('does nothing for a count of 0', async () => {
    assert.deepEqual(await slowStartBatch(0, 1, async () => assert.fail()), { successes: 0 });
  });

  it('caps a sync at 500 pods, as Kubernetes', () => {
    assert.equal(BURST_REPLICAS, 500);
  });
});
