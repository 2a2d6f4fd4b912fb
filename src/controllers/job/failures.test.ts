import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summary } from './test-support.ts';
import type { Job } from './types.ts';
import { created, job, NOW, pod, setup, statusWrites, type Json } from './fixtures.ts';

// How the Job controller meets failure: back-off, backoffLimit, deadlines, failure policy.

describe('JobController.reconcile: failures', () => {
  it('fails with BackoffLimitExceeded once more pods failed than backoffLimit', async () => {
    const failed = [
      pod('a', { phase: 'Failed', exitCode: 1 }),
      pod('b', { phase: 'Failed', exitCode: 1 }),
    ];
    const { controller, calls, events } = setup(
      [job({ backoffLimit: 1 }, { startTime: rfc3339(NOW) })],
      failed,
    );
    await controller.reconcile('job:ns/pi');
    const writes = statusWrites(calls);
    assert.equal(writes.length, 2);
    assert.deepEqual(
      writes[0]!.conditions.map((c: Json) => `${c.type} ${c.reason}`),
      ['FailureTarget BackoffLimitExceeded'],
    );
    assert.deepEqual(writes[0]!.uncountedTerminatedPods, { failed: ['uid-a', 'uid-b'] });
    assert.deepEqual(
      writes[1]!.conditions.map((c: Json) => `${c.type} ${c.reason} ${c.message}`),
      [
        'FailureTarget BackoffLimitExceeded Job has reached the specified backoff limit',
        'Failed BackoffLimitExceeded Job has reached the specified backoff limit',
      ],
    );
    assert.equal(writes[1]!.failed, 2);
    assert.equal(writes[1]!.completionTime, undefined);
    assert.deepEqual(events, [
      'Warning BackoffLimitExceeded Job has reached the specified backoff limit',
    ]);
  });

  it('waits 10 s after a failure before creating its replacement', async () => {
    const first = pod('a', { phase: 'Failed', exitCode: 1, finishedAt: NOW - 3000 });
    const { controller, calls, clock, jobStore, podStore } = setup(
      [job({}, { startTime: rfc3339(NOW) })],
      [first],
    );
    assert.deepEqual(await controller.reconcile('job:ns/pi'), { requeueAfterMs: 7000 });
    assert.equal(created(calls).length, 0, 'no replacement during the back-off');
    // The informer brings the counted pod and the status written.
    const written = calls.filter((c) => c.subresource === 'status').at(-1)!.body as Job;
    assert.equal(written.status!.failed, 1);
    jobStore.set(written);
    podStore.set({ ...first, metadata: { ...first.metadata, finalizers: [] } });
    clock.advance(7000);
    calls.length = 0;
    assert.equal(await controller.reconcile('job:ns/pi'), undefined);
    assert.deepEqual(
      summary(
        created(calls).map((b) => ({
          verb: 'create',
          resource: 'pods',
          name: b.metadata!.generateName!,
        })),
      ),
      ['create pods/pi-'],
    );
  });

  it('doubles the wait with each failure since the last success', async () => {
    const failed = [
      pod('a', { phase: 'Failed', exitCode: 1, finishedAt: NOW - 5000 }),
      pod('b', { phase: 'Failed', exitCode: 1, finishedAt: NOW - 1000 }),
    ];
    const { controller, calls } = setup([job({}, { startTime: rfc3339(NOW) })], failed);
    assert.deepEqual(await controller.reconcile('job:ns/pi'), { requeueAfterMs: 19_000 });
    assert.equal(created(calls).length, 0);
  });

  it('counts container restarts against backoffLimit when pods restart OnFailure', async () => {
    const template = job().spec!.template!;
    const spec = {
      backoffLimit: 2,
      template: { ...template, spec: { ...template.spec, restartPolicy: 'OnFailure' } },
    };
    const { controller, calls } = setup(
      [job(spec, { startTime: rfc3339(NOW) })],
      [pod('a', { restarts: 2 })],
    );
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls).slice(0, 1), ['delete pods/a']);
    const [status] = statusWrites(calls);
    assert.equal(status!.conditions[0].reason, 'BackoffLimitExceeded');
  });

  it('fails past activeDeadlineSeconds: pods deleted, Failed once none is terminating', async () => {
    const spec = { activeDeadlineSeconds: 10 };
    const started = { startTime: rfc3339(NOW - 11_000) };
    const running = pod('a', { ready: true });
    const { controller, calls, events, jobStore, podStore } = setup(
      [job(spec, started)],
      [running],
    );
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls), [
      'delete pods/a',
      'update jobs/pi/status',
      'patch pods/a',
      'update jobs/pi/status',
    ]);
    const last = calls.at(-1)!.body as Job;
    assert.deepEqual(
      last.status!.conditions!.map((c) => `${c.type} ${c.reason}`),
      ['FailureTarget DeadlineExceeded'],
    );
    assert.equal(last.status!.failed, 1);
    assert.equal(last.status!.terminating, 1);
    assert.equal(last.status!.active, undefined);
    assert.deepEqual(events, ['Normal SuccessfulDelete Deleted pod: a']);
    // The pod is gone: now the Job fails.
    jobStore.set(last);
    podStore.remove('ns/a');
    calls.length = 0;
    await controller.reconcile('job:ns/pi');
    const final = statusWrites(calls).at(-1)!;
    assert.deepEqual(
      final.conditions.map((c: Json) => `${c.type} ${c.reason}`),
      ['FailureTarget DeadlineExceeded', 'Failed DeadlineExceeded'],
    );
    assert.equal(final.terminating, 0);
    assert.equal(
      events.at(-1),
      'Warning DeadlineExceeded Job was active longer than specified deadline',
    );
  });

  it('looks again when activeDeadlineSeconds will pass', async () => {
    const { controller } = setup(
      [job({ activeDeadlineSeconds: 30 }, { startTime: rfc3339(NOW - 10_000), active: 1 })],
      [pod('a')],
    );
    assert.deepEqual(await controller.reconcile('job:ns/pi'), { requeueAfterMs: 20_000 });
  });

  it('fails at once on a pod failure matching a FailJob rule', async () => {
    const spec = {
      podReplacementPolicy: 'Failed',
      podFailurePolicy: {
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }],
      },
    };
    const { controller, calls } = setup(
      [job(spec, { startTime: rfc3339(NOW) })],
      [pod('a', { phase: 'Failed', exitCode: 42 })],
    );
    await controller.reconcile('job:ns/pi');
    const last = statusWrites(calls).at(-1)!;
    assert.deepEqual(
      last.conditions.map((c: Json) => `${c.type} ${c.reason} ${c.message}`),
      [
        'FailureTarget PodFailurePolicy Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0',
        'Failed PodFailurePolicy Container main for pod ns/a failed with exit code 42 matching FailJob rule at index 0',
      ],
    );
  });
});
