import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import { recordingClient, seededStore, silent, summary } from './test-support.ts';
import { TtlAfterFinishedController } from './ttl-after-finished.ts';
import type { Job } from './types.ts';

// The TTL-after-finished controller: a finished Job goes ttlSecondsAfterFinished after
// its terminal condition, checked again against the API first.

const NOW = Date.parse('2025-01-01T12:00:00Z');

function job(ttl: number | undefined, finishedAgoMs?: number): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: 'uid-pi' },
    spec: ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl },
    status:
      finishedAgoMs === undefined
        ? {}
        : {
            conditions: [
              {
                type: 'Complete',
                status: 'True',
                lastTransitionTime: rfc3339(NOW - finishedAgoMs),
              },
            ],
          },
  };
}

function setup(cached: Job, fresh: Job = cached) {
  const { client, calls } = recordingClient({ 'jobs/pi': fresh });
  const clock = new FakeClock(NOW);
  const jobs = seededStore([cached]);
  const controller = new TtlAfterFinishedController(
    client,
    undefined,
    { jobs: jobs.store },
    silent,
    {
      clock,
    },
  );
  return { controller, calls, clock };
}

describe('TtlAfterFinishedController.reconcile', () => {
  it('looks again when the TTL will expire', async () => {
    const { controller, calls } = setup(job(100, 40_000));
    assert.deepEqual(await controller.reconcile('ns/pi'), { requeueAfterMs: 60_000 });
    assert.deepEqual(calls, []);
  });

  it('deletes an expired Job with its pods, guarded by its uid', async () => {
    const { controller, calls } = setup(job(10, 10_000));
    assert.equal(await controller.reconcile('ns/pi'), undefined);
    assert.deepEqual(summary(calls), ['get jobs/pi', 'delete jobs/pi']);
    assert.deepEqual(calls[1]!.options, {
      propagationPolicy: 'Foreground',
      preconditions: { uid: 'uid-pi' },
    });
  });

  it('believes the API over its cache when the TTL was raised meanwhile', async () => {
    const { controller, calls } = setup(job(0, 1000), job(3600, 1000));
    assert.deepEqual(await controller.reconcile('ns/pi'), { requeueAfterMs: 3_599_000 });
    assert.deepEqual(summary(calls), ['get jobs/pi']);
  });

  it('leaves alone unfinished Jobs and Jobs without a TTL', async () => {
    for (const j of [job(10), job(undefined, 60_000)]) {
      const { controller, calls } = setup(j);
      assert.equal(await controller.reconcile('ns/pi'), undefined);
      assert.deepEqual(calls, []);
    }
  });
});
