import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summary } from './test-support.ts';
import {
  created,
  job,
  NOW,
  pod,
  setup,
  statusWrites,
  TRACKING,
  UID,
  type Json,
} from './fixtures.ts';

// The Job controller against seeded caches: reconcile one Job, then look at the API calls.

describe('JobController.reconcile', () => {
  it('creates pods up to parallelism from the template, and counts them active', async () => {
    const { controller, calls, events } = setup([job({ completions: 5, parallelism: 2 })], []);
    assert.equal(await controller.reconcile('job:ns/pi'), undefined);
    assert.deepEqual(summary(calls), [
      'create pods/pi-1',
      'create pods/pi-2',
      'update jobs/pi/status',
    ]);
    const p = created(calls)[0]!;
    assert.deepEqual(p.metadata, {
      generateName: 'pi-',
      namespace: 'ns',
      labels: { 'batch.kubernetes.io/controller-uid': UID, 'job-name': 'pi' },
      finalizers: [TRACKING],
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: 'pi',
          uid: UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    assert.deepEqual(statusWrites(calls), [
      {
        startTime: rfc3339(NOW),
        active: 2,
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
      },
    ]);
    assert.deepEqual(events, [
      'Normal SuccessfulCreate Created pod: pi-1',
      'Normal SuccessfulCreate Created pod: pi-2',
    ]);
  });

  it('never runs more pods than the completions still missing', async () => {
    const spec = { completions: 4, parallelism: 3 };
    const done = ['a', 'b', 'c'].map((n) => pod(n, { phase: 'Succeeded', finishedAt: NOW - 5000 }));
    const { controller, calls } = setup([job(spec, { startTime: rfc3339(NOW - 60_000) })], done);
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls), [
      'create pods/pi-1',
      'update jobs/pi/status',
      'patch pods/a',
      'patch pods/b',
      'patch pods/c',
      'update jobs/pi/status',
    ]);
    const [first, second] = statusWrites(calls);
    // First the UIDs, while the pods still hold the finalizer; then the count.
    assert.deepEqual(first!.uncountedTerminatedPods, { succeeded: ['uid-a', 'uid-b', 'uid-c'] });
    assert.equal(first!.succeeded, undefined);
    assert.deepEqual(second!.uncountedTerminatedPods, {});
    assert.equal(second!.succeeded, 3);
    assert.equal(second!.active, 1);
    assert.deepEqual(calls[2]!.patch, {
      metadata: { '$deleteFromPrimitiveList/finalizers': [TRACKING] },
    });
    assert.equal(calls[2]!.options, 'strategic');
  });

  it('makes no call when the pods and the status already agree', async () => {
    const status = { startTime: rfc3339(NOW), active: 1, ready: 1, terminating: 0 };
    const { controller, calls } = setup([job({}, status)], [pod('a', { ready: true })]);
    assert.equal(await controller.reconcile('job:ns/pi'), undefined);
    assert.deepEqual(calls, []);
  });

  it('keeps the finalizer of a pod whose Job still runs', async () => {
    const { controller, calls } = setup([job()], [pod('a', { phase: 'Succeeded' })]);
    await controller.reconcile('pod:ns/a');
    assert.deepEqual(calls, []);
  });

  it('deletes pods beyond parallelism, the least advanced first', async () => {
    const pods = [pod('ready', { ready: true }), pod('pending', { phase: 'Pending' })];
    const { controller, calls } = setup([job({ completions: 3, parallelism: 1 })], pods);
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls).slice(0, 2), ['patch pods/pending', 'delete pods/pending']);
    const [status] = statusWrites(calls);
    assert.equal(status!.active, 1);
    assert.equal(status!.terminating, 1);
  });

  it('completes: SuccessCriteriaMet first, then Complete once every pod is counted', async () => {
    const done = [pod('a', { phase: 'Succeeded' }), pod('b', { phase: 'Succeeded' })];
    const start = rfc3339(NOW - 60_000);
    const { controller, calls, events } = setup(
      [job({ completions: 2, parallelism: 2 }, { startTime: start })],
      done,
    );
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls), [
      'update jobs/pi/status',
      'patch pods/a',
      'patch pods/b',
      'update jobs/pi/status',
    ]);
    const [first, second] = statusWrites(calls);
    const met = {
      type: 'SuccessCriteriaMet',
      status: 'True',
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
      lastProbeTime: rfc3339(NOW),
      lastTransitionTime: rfc3339(NOW),
    };
    assert.deepEqual(first!.conditions, [met]);
    assert.deepEqual(second, {
      startTime: start,
      completionTime: rfc3339(NOW),
      succeeded: 2,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions: [met, { ...met, type: 'Complete' }],
    });
    assert.deepEqual(events, ['Normal Completed Job completed']);
  });

  it('gives each pod of an Indexed Job a pending index', async () => {
    const spec = { completionMode: 'Indexed', completions: 4, parallelism: 2 };
    const pods = [pod('x', { index: 0, phase: 'Succeeded' }), pod('y', { index: 1 })];
    const { controller, calls } = setup([job(spec, { startTime: rfc3339(NOW) })], pods);
    await controller.reconcile('job:ns/pi');
    const [p] = created(calls);
    assert.equal(created(calls).length, 1);
    assert.equal(p!.metadata!.generateName, 'pi-2-');
    assert.equal(p!.metadata!.annotations!['batch.kubernetes.io/job-completion-index'], '2');
    assert.equal(p!.metadata!.labels!['batch.kubernetes.io/job-completion-index'], '2');
    const podSpec = p!.spec as Json;
    assert.equal(podSpec.hostname, 'pi-2');
    assert.deepEqual(podSpec.containers[0].env, [
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: {
            fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
          },
        },
      },
    ]);
    const last = statusWrites(calls).at(-1)!;
    assert.equal(last.completedIndexes, '0');
    assert.equal(last.succeeded, 1);
  });

  it('completes an Indexed Job when every index succeeded, whatever else failed', async () => {
    const spec = { completionMode: 'Indexed', completions: 3, parallelism: 3 };
    const pods = [0, 1, 2].map((i) => pod(`p${i}`, { index: i, phase: 'Succeeded' }));
    pods.push(pod('dup', { index: 1, phase: 'Failed', exitCode: 1 }));
    const { controller, calls } = setup([job(spec, { startTime: rfc3339(NOW) })], pods);
    await controller.reconcile('job:ns/pi');
    const last = statusWrites(calls).at(-1)!;
    assert.equal(last.completedIndexes, '0-2');
    assert.equal(last.succeeded, 3);
    assert.equal(last.failed, 1);
    assert.deepEqual(
      last.conditions.map((c: Json) => c.type),
      ['SuccessCriteriaMet', 'Complete'],
    );
  });

  it('deletes the pods of a suspended Job and says so', async () => {
    const pods = [pod('a'), pod('b', { ready: true })];
    const { controller, calls, events } = setup(
      [
        job(
          { suspend: true, parallelism: 2, completions: 2 },
          { startTime: rfc3339(NOW), active: 2 },
        ),
      ],
      pods,
    );
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(
      summary(calls)
        .filter((s) => s.startsWith('delete'))
        .sort(),
      ['delete pods/a', 'delete pods/b'],
    );
    const last = statusWrites(calls).at(-1)!;
    assert.equal(last.active, undefined);
    assert.equal(last.terminating, 2);
    assert.deepEqual(
      last.conditions.map((c: Json) => `${c.type}=${c.status} ${c.reason}`),
      ['Suspended=True JobSuspended'],
    );
    assert.ok(events.includes('Normal Suspended Job suspended'));
  });

  it('does nothing for a finished Job, or one managed by another controller', async () => {
    const done = job({}, { conditions: [{ type: 'Complete', status: 'True' }] });
    const first = setup([done], [pod('a')]);
    await first.controller.reconcile('job:ns/pi');
    assert.deepEqual(first.calls, []);
    const other = setup([job({ managedBy: 'example.com/queue' })], []);
    await other.controller.reconcile('job:ns/pi');
    assert.deepEqual(other.calls, []);
  });

  it('removes the tracking finalizer from a pod whose Job is gone', async () => {
    const orphan = pod('left', { phase: 'Succeeded' });
    const { controller, calls } = setup([], [orphan]);
    await controller.reconcile('pod:ns/left');
    assert.deepEqual(summary(calls), ['patch pods/left']);
  });

  it('adopts an orphan its selector matches, re-reading the Job first', async () => {
    const orphan = pod('stray');
    delete orphan.metadata!.ownerReferences;
    delete orphan.metadata!.finalizers;
    const { controller, calls } = setup(
      [job({ completions: 1 }, { startTime: rfc3339(NOW), active: 1, ready: 0, terminating: 0 })],
      [orphan],
    );
    await controller.reconcile('job:ns/pi');
    assert.deepEqual(summary(calls), ['get jobs/pi', 'patch pods/stray']);
    assert.deepEqual((calls[1]!.patch as Json).metadata.finalizers, [TRACKING]);
  });
});
