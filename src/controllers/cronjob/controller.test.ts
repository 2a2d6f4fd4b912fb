import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock } from '../../client/index.ts';
import {
  apiError,
  recordingClient,
  recordingRecorder,
  seededStore,
  silent,
  summary,
  type Call,
} from '../job/test-support.ts';
import { CronJobController } from './controller.ts';
import type { CronJob, Job } from './types.ts';

// The CronJob controller against seeded caches and a fake clock: reconcile one CronJob,
// then look at the API calls, the events and when it asks to be looked at again.

const MIN = 60_000;
const CREATED = Date.parse('2025-01-01T11:58:30Z');
const NOW = Date.parse('2025-01-01T12:00:10Z');
const UID = 'uid-cj';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function cronJob(spec: Json = {}, status: Json = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: 'tick',
      namespace: 'ns',
      uid: UID,
      resourceVersion: '5',
      creationTimestamp: rfc3339(CREATED),
    },
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'tick' } },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      },
      ...spec,
    },
    status,
  };
}

function job(name: string, finished?: 'Complete' | 'Failed', startedAt = NOW - 5 * MIN): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: UID, controller: true },
      ],
    },
    status: {
      startTime: rfc3339(startedAt),
      ...(finished
        ? {
            conditions: [{ type: finished, status: 'True' }],
            ...(finished === 'Complete' ? { completionTime: rfc3339(startedAt + 1000) } : {}),
          }
        : {}),
    },
  };
}

const ref = (j: Job) => ({
  kind: 'Job',
  namespace: 'ns',
  name: j.metadata!.name,
  uid: j.metadata!.uid,
  apiVersion: 'batch/v1',
});

function setup(
  cj: CronJob,
  jobs: Job[] = [],
  objects: Record<string, KubeObject> = {},
  fail?: (c: Call) => Error | undefined,
) {
  const byName = Object.fromEntries(jobs.map((j) => [`jobs/${j.metadata!.name}`, j]));
  const { client, calls } = recordingClient({ 'cronjobs/tick': cj, ...byName, ...objects }, fail);
  const { recorder, events } = recordingRecorder();
  const clock = new FakeClock(NOW);
  const caches = { cronJobs: seededStore([cj]).store, jobs: seededStore(jobs).store };
  const controller = new CronJobController(client, undefined, caches, silent, {
    clock,
    recorder,
    localTimeZone: 'UTC',
  });
  return { controller, calls, events, clock };
}

const statusOf = (calls: Call[]) =>
  calls.filter((c) => c.subresource === 'status').at(-1)?.body?.status as Json | undefined;

describe('CronJobController.reconcile', () => {
  it('creates the Job of the activation due, named by its minute, and looks again at the next', async () => {
    const { controller, calls, events } = setup(cronJob());
    const result = await controller.reconcile('ns/tick');
    const due = Date.parse('2025-01-01T12:00:00Z');
    const name = `tick-${due / MIN}`;
    assert.deepEqual(summary(calls), [`create jobs/${name}`, 'update cronjobs/tick/status']);
    assert.deepEqual(calls[0]!.body!.metadata, {
      name,
      namespace: 'ns',
      labels: { app: 'tick' },
      annotations: { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T12:00:00Z' },
      creationTimestamp: '2025-01-01T12:00:00Z',
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: 'tick',
          uid: UID,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    assert.deepEqual(statusOf(calls), {
      active: [{ ...ref(job(name)), uid: `uid-${name}`, resourceVersion: '101' }],
      lastScheduleTime: '2025-01-01T12:00:00Z',
    });
    assert.deepEqual(events, [`Normal SuccessfulCreate Created job ${name}`]);
    assert.deepEqual(result, { requeueAfterMs: 50_100 });
  });

  it('writes the scheduled time in the time zone of the CronJob', async () => {
    const { controller, calls } = setup(cronJob({ timeZone: 'Asia/Kolkata' }));
    await controller.reconcile('ns/tick');
    const annotations = calls[0]!.body!.metadata!.annotations!;
    assert.equal(
      annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'],
      '2025-01-01T17:30:00+05:30',
    );
  });

  it('only looks again before the first activation', async () => {
    const cj = cronJob({ schedule: '30 12 * * *' });
    const { controller, calls } = setup(cj);
    assert.deepEqual(await controller.reconcile('ns/tick'), { requeueAfterMs: 29 * MIN + 50_100 });
    assert.deepEqual(calls, []);
  });

  it('starts only the most recent of several missed activations', async () => {
    const cj = cronJob({}, { lastScheduleTime: rfc3339(NOW - 10 * MIN - 10_000) });
    const { controller, calls } = setup(cj);
    await controller.reconcile('ns/tick');
    assert.deepEqual(summary(calls)[0], `create jobs/tick-${(NOW - 10_000) / MIN}`);
  });

  it('misses an activation older than startingDeadlineSeconds', async () => {
    const cj = cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 5 });
    const { controller, calls, events } = setup(cj);
    const result = await controller.reconcile('ns/tick');
    assert.deepEqual(calls, []);
    assert.deepEqual(events, []);
    assert.deepEqual(result, { requeueAfterMs: 59 * MIN + 50_100 });
  });

  it('starts an activation still within startingDeadlineSeconds', async () => {
    const cj = cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 });
    const { controller, calls } = setup(cj);
    await controller.reconcile('ns/tick');
    assert.equal(summary(calls)[0], `create jobs/tick-${(NOW - 10_000) / MIN}`);
  });

  it('warns of too many missed start times, unless a starting deadline bounds them', async () => {
    const long = cronJob({}, { lastScheduleTime: rfc3339(NOW - 200 * MIN) });
    const first = setup(long);
    await first.controller.reconcile('ns/tick');
    assert.equal(
      first.events[0],
      'Warning TooManyMissedTimes too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    );
    assert.equal(summary(first.calls)[0], `create jobs/tick-${(NOW - 10_000) / MIN}`);
    const bounded = setup(cronJob({ startingDeadlineSeconds: 120 }, long.status));
    await bounded.controller.reconcile('ns/tick');
    assert.ok(!bounded.events.some((e) => e.includes('TooManyMissedTimes')));
  });

  it('Forbid: no new Job while one runs', async () => {
    const running = job('tick-1');
    const cj = cronJob({ concurrencyPolicy: 'Forbid' }, { active: [ref(running)] });
    const { controller, calls, events } = setup(cj, [running]);
    assert.deepEqual(await controller.reconcile('ns/tick'), { requeueAfterMs: 50_100 });
    assert.deepEqual(calls, []);
    assert.deepEqual(events, [
      'Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid',
    ]);
  });

  it('Replace: the running Job is deleted, then the new one created', async () => {
    const running = job('tick-1');
    const cj = cronJob({ concurrencyPolicy: 'Replace' }, { active: [ref(running)] });
    const { controller, calls, events } = setup(cj, [running]);
    await controller.reconcile('ns/tick');
    const name = `tick-${(NOW - 10_000) / MIN}`;
    assert.deepEqual(summary(calls), [
      'get jobs/tick-1',
      'delete jobs/tick-1',
      `create jobs/${name}`,
      'update cronjobs/tick/status',
    ]);
    assert.deepEqual(calls[1]!.options, { propagationPolicy: 'Background' });
    assert.deepEqual(
      statusOf(calls)!.active.map((r: Json) => r.name),
      [name],
    );
    assert.deepEqual(events, [
      'Normal SuccessfulDelete Deleted job tick-1',
      `Normal SuccessfulCreate Created job ${name}`,
    ]);
  });

  it('Allow: a new Job beside the running one', async () => {
    const running = job('tick-1');
    const { controller, calls } = setup(cronJob({}, { active: [ref(running)] }), [running]);
    await controller.reconcile('ns/tick');
    assert.equal(statusOf(calls)!.active.length, 2);
  });

  it('takes a finished Job off the active list, then records its success', async () => {
    const done = job('tick-1', 'Complete');
    const cj = cronJob({ suspend: true }, { active: [ref(done)] });
    const { controller, calls, events } = setup(cj, [done]);
    await controller.reconcile('ns/tick');
    assert.deepEqual(statusOf(calls), {});
    assert.deepEqual(events, [
      'Normal SawCompletedJob Saw completed job: tick-1, status: Complete',
    ]);
    const again = setup(cronJob({ suspend: true }), [done]);
    await again.controller.reconcile('ns/tick');
    assert.deepEqual(statusOf(again.calls), { lastSuccessfulTime: done.status!.completionTime });
  });

  it('keeps successfulJobsHistoryLimit successes and failedJobsHistoryLimit failures', async () => {
    const jobs = [
      job('ok-1', 'Complete', NOW - 50 * MIN),
      job('ok-2', 'Complete', NOW - 40 * MIN),
      job('ok-3', 'Complete', NOW - 30 * MIN),
      job('ok-4', 'Complete', NOW - 20 * MIN),
      job('bad-1', 'Failed', NOW - 45 * MIN),
      job('bad-2', 'Failed', NOW - 15 * MIN),
      job('running', undefined, NOW - 60 * MIN),
    ];
    const cj = cronJob({ suspend: true }, { active: [ref(jobs[6]!)] });
    const { controller, calls, events } = setup(cj, jobs);
    await controller.reconcile('ns/tick');
    assert.deepEqual(
      summary(calls).filter((c) => c.startsWith('delete')),
      ['delete jobs/ok-1', 'delete jobs/bad-1'],
    );
    assert.ok(events.includes('Normal SuccessfulDelete Deleted job ok-1'));
  });

  it('forgets an active Job that no longer exists', async () => {
    const gone = job('tick-1');
    const { controller, calls, events } = setup(
      cronJob({ suspend: true }, { active: [ref(gone)] }),
    );
    await controller.reconcile('ns/tick');
    assert.deepEqual(summary(calls), ['get jobs/tick-1', 'update cronjobs/tick/status']);
    assert.deepEqual(statusOf(calls), {});
    assert.deepEqual(events, ['Normal MissingJob Active job went missing: tick-1']);
  });

  it('notices a running Job it did not start (kubectl create job --from)', async () => {
    const manual = job('manual');
    const { controller, events } = setup(cronJob({ suspend: true }), [manual]);
    await controller.reconcile('ns/tick');
    assert.deepEqual(events, [
      'Warning UnexpectedJob Saw a job that the controller did not create or forgot: manual',
    ]);
  });

  it('does not start Jobs while suspended', async () => {
    const { controller, calls } = setup(cronJob({ suspend: true }));
    assert.equal(await controller.reconcile('ns/tick'), undefined);
    assert.deepEqual(calls, []);
  });

  it('adopts its own Job when the create finds it already there', async () => {
    const name = `tick-${(NOW - 10_000) / MIN}`;
    const existing = job(name);
    const fail = (c: Call) =>
      c.verb === 'create'
        ? apiError(409, 'AlreadyExists', `jobs.batch "${name}" already exists`)
        : undefined;
    const { controller, calls, events } = setup(
      cronJob(),
      [],
      { [`jobs/${name}`]: existing },
      fail,
    );
    await controller.reconcile('ns/tick');
    assert.deepEqual(summary(calls), [
      `create jobs/${name}`,
      `get jobs/${name}`,
      'update cronjobs/tick/status',
    ]);
    assert.deepEqual(
      statusOf(calls)!.active.map((r: Json) => r.uid),
      [`uid-${name}`],
    );
    assert.deepEqual(events, []);
  });

  it('reports an unknown time zone and starts nothing', async () => {
    const { controller, calls, events } = setup(cronJob({ timeZone: 'Mars/Olympus' }));
    assert.equal(await controller.reconcile('ns/tick'), undefined);
    assert.deepEqual(calls, []);
    assert.deepEqual(events, [
      'Warning UnknownTimeZone invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus',
    ]);
  });
});
