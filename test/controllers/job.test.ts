import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import {
  InformerFactory,
  realClock,
  RestClient,
  stderrLogger,
  type Clock,
} from '../../src/client/index.ts';
import * as controllers from '../../src/controllers/index.ts';
import { CronJobController } from '../../src/controllers/cronjob/index.ts';
import { JobController, TtlAfterFinishedController } from '../../src/controllers/job/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';

// Jobs and CronJobs through the real kubectl, against a cluster whose node agent runs pods
// as host processes. Until the controller manager runs these controllers, the test runs
// them itself; its CronJob controller then reads a clock 65 s ahead, so that a `* * * * *`
// schedule falls due at once instead of within the next minute.

type Json = Record<string, any>;

const WAIT_S = 60;
const registered = 'JobController' in controllers;
/** Ahead of the API server's clock by more than the minute a `* * * * *` schedule needs. */
const aheadClock: Clock = { ...realClock, now: () => Date.now() + 65_000 };

describe(
  'Job and CronJob controllers',
  { skip: missingCommand('busybox', 'apt-get install busybox-static'), timeout: 300_000 },
  () => {
    let cluster: TestCluster;
    let client: RestClient;
    let factory: InformerFactory;
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    let running: Promise<unknown> = Promise.resolve();

    const k = (args: string[], input?: string) =>
      kubectl(KUBECTL, cluster.kubectlArgs, args, {
        ...(input ? { input } : {}),
        timeoutMs: (WAIT_S + 15) * 1000,
      });
    const ok = async (args: string[], input?: string) => {
      const r = await k(args, input);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const json = async (...args: string[]): Promise<Json> =>
      JSON.parse(await ok([...args, '-o', 'json']));
    const waitFor = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
      const deadline = Date.now() + WAIT_S * 1000;
      while (Date.now() < deadline) {
        const value = await check();
        if (value !== undefined) return value;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.fail(`timed out after ${WAIT_S} s waiting for ${what}`);
    };
    const podsOf = async (job: string): Promise<Json[]> =>
      (await json('get', 'pods', '-l', `batch.kubernetes.io/job-name=${job}`)).items;
    const reasons = async (name: string): Promise<string[]> =>
      (await json('get', 'events', '--field-selector', `involvedObject.name=${name}`)).items.map(
        (e: Json) => `${e.reason}: ${e.message}`,
      );

    /** A Job running `script` in busybox's sh; the image is only recorded on this runtime. */
    const job = (name: string, script: string, spec: Json = {}, podSpec: Json = {}) =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name },
        spec: { ...spec, template: jobTemplate(script, podSpec) },
      });
    const jobTemplate = (script: string, podSpec: Json = {}) => ({
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'busybox:recorded-only',
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', script],
          },
        ],
        ...podSpec,
      },
    });

    before(async () => {
      cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: 'job-node' } });
      client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
      if (registered) return;
      factory = new InformerFactory(client, { logger: stderrLogger });
      const started = [
        new JobController(client, undefined, factory, stderrLogger),
        new TtlAfterFinishedController(client, undefined, factory, stderrLogger),
        new CronJobController(client, undefined, factory, stderrLogger, { clock: aheadClock }),
      ];
      factory.start(stop.signal);
      running = Promise.all(started.map((c) => c.run(stop.signal)));
    });

    after(async () => {
      if (cluster) {
        await k(['delete', 'cronjobs,jobs', '--all', '--wait=true', '--timeout=30s']);
        await k(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=30s']);
      }
      stop.abort();
      await running;
      await factory?.stop();
      client?.close();
      await cluster?.close();
    });

    it('runs a Job with completions 3 and parallelism 2 to completion', async () => {
      await ok(['create', '-f', '-'], job('done', 'echo done', { completions: 3, parallelism: 2 }));
      await ok(['wait', '--for=condition=complete', 'job/done', `--timeout=${WAIT_S}s`]);
      const j = await json('get', 'job', 'done');
      assert.equal(j.status.succeeded, 3);
      assert.equal(j.status.active, undefined);
      assert.equal(j.status.ready, 0);
      assert.equal(j.status.terminating, 0);
      assert.deepEqual(j.status.uncountedTerminatedPods, {});
      assert.ok(j.status.startTime && j.status.completionTime);
      assert.deepEqual(
        j.status.conditions.map((c: Json) => `${c.type}=${c.status} ${c.reason}`),
        ['SuccessCriteriaMet=True CompletionsReached', 'Complete=True CompletionsReached'],
      );
      const pods = await podsOf('done');
      assert.equal(pods.length, 3);
      for (const p of pods) {
        assert.equal(p.status.phase, 'Succeeded');
        assert.deepEqual(p.metadata.finalizers ?? [], [], 'the tracking finalizer is removed');
        assert.equal(p.metadata.labels['job-name'], 'done');
        assert.equal(p.metadata.labels['controller-uid'], j.metadata.uid);
        assert.equal(p.metadata.ownerReferences[0].kind, 'Job');
        assert.equal(p.metadata.ownerReferences[0].controller, true);
        assert.match(p.metadata.name, /^done-[a-z0-9]{5}$/);
      }
      assert.equal(await ok(['logs', 'job/done']), 'done\n');
      const table = await ok(['get', 'job', 'done']);
      assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
      assert.match(table, /\ndone\s+Complete\s+3\/3\s+/);
      const events = await reasons('done');
      assert.equal(
        events.filter((e) => e.startsWith('SuccessfulCreate: Created pod: done-')).length,
        3,
      );
      assert.ok(events.includes('Completed: Job completed'), events.join('\n'));
    });

    it('fails a Job whose pods fail more often than backoffLimit, after a back-off', async () => {
      await ok(['create', '-f', '-'], job('fails', 'exit 1', { backoffLimit: 1 }));
      await ok(['wait', '--for=condition=failed', 'job/fails', `--timeout=${WAIT_S}s`]);
      const j = await json('get', 'job', 'fails');
      assert.equal(j.status.failed, 2);
      const failed = j.status.conditions.find((c: Json) => c.type === 'Failed');
      assert.equal(failed.reason, 'BackoffLimitExceeded');
      assert.equal(failed.message, 'Job has reached the specified backoff limit');
      assert.ok(j.status.conditions.some((c: Json) => c.type === 'FailureTarget'));
      const created = (await podsOf('fails'))
        .map((p) => Date.parse(p.metadata.creationTimestamp))
        .sort((a, b) => a - b);
      assert.equal(created.length, 2);
      assert.ok(created[1]! - created[0]! >= 9_000, 'the replacement waited for the back-off');
      const events = await reasons('fails');
      assert.ok(
        events.includes('BackoffLimitExceeded: Job has reached the specified backoff limit'),
        events.join('\n'),
      );
    });

    it('gives each pod of an Indexed Job its completion index', async () => {
      await ok(
        ['create', '-f', '-'],
        job('idx', 'echo index=$JOB_COMPLETION_INDEX host=$(hostname)', {
          completions: 3,
          parallelism: 3,
          completionMode: 'Indexed',
        }),
      );
      await ok(['wait', '--for=condition=complete', 'job/idx', `--timeout=${WAIT_S}s`]);
      const j = await json('get', 'job', 'idx');
      assert.equal(j.status.completedIndexes, '0-2');
      assert.equal(j.status.succeeded, 3);
      const seen: string[] = [];
      for (const p of await podsOf('idx')) {
        const ix = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
        assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], ix);
        assert.equal(p.spec.hostname, `idx-${ix}`);
        assert.match(p.metadata.name, new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
        const logs = await ok(['logs', p.metadata.name]);
        assert.match(logs, new RegExp(`^index=${ix} `));
        seen.push(ix);
      }
      assert.deepEqual(seen.sort(), ['0', '1', '2']);
    });

    it('fails a Job past its activeDeadlineSeconds and deletes its pods', async () => {
      await ok(['create', '-f', '-'], job('slow', 'sleep 60', { activeDeadlineSeconds: 2 }));
      await ok(['wait', '--for=condition=failed', 'job/slow', `--timeout=${WAIT_S}s`]);
      const j = await json('get', 'job', 'slow');
      const failed = j.status.conditions.find((c: Json) => c.type === 'Failed');
      assert.equal(failed.reason, 'DeadlineExceeded');
      assert.equal(failed.message, 'Job was active longer than specified deadline');
      assert.equal(j.status.failed, 1);
      await waitFor('the pods of job/slow to be deleted', async () =>
        (await podsOf('slow')).length === 0 ? true : undefined,
      );
    });

    it('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
      await ok(['create', '-f', '-'], job('brief', 'true', { ttlSecondsAfterFinished: 1 }));
      await waitFor('job/brief to be deleted', async () => {
        const r = await k(['get', 'job', 'brief']);
        return r.code !== 0 && /NotFound/.test(r.stderr) ? true : undefined;
      });
      await waitFor('the pods of job/brief to be deleted', async () =>
        (await podsOf('brief')).length === 0 ? true : undefined,
      );
    });

    it('starts the Jobs of a CronJob, by schedule and by kubectl create job --from', async () => {
      const cronJob = {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'tick' },
        spec: {
          schedule: '* * * * *',
          jobTemplate: {
            metadata: { labels: { app: 'tick' } },
            spec: { template: jobTemplate('echo tick') },
          },
        },
      };
      await ok(['create', '-f', '-'], JSON.stringify(cronJob));
      const cj = await json('get', 'cronjob', 'tick');
      await ok(['create', 'job', '--from=cronjob/tick', 'tick-manual']);
      await ok(['wait', '--for=condition=complete', 'job/tick-manual', `--timeout=${WAIT_S}s`]);
      const manual = await json('get', 'job', 'tick-manual');
      assert.equal(manual.metadata.ownerReferences[0].uid, cj.metadata.uid);
      assert.equal(manual.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
      assert.equal(await ok(['logs', 'job/tick-manual']), 'tick\n');
      if (registered) return; // the clock of the controller manager cannot be moved
      const scheduled = await waitFor('a scheduled Job of cronjob/tick', async () => {
        const jobs = (await json('get', 'jobs', '-l', 'app=tick')).items as Json[];
        return jobs.find((j) => j.metadata.name !== 'tick-manual');
      });
      // No more activations: the next minute would start another Job meanwhile.
      await ok(['patch', 'cronjob', 'tick', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
      const minutes = Number(scheduled.metadata.name.slice('tick-'.length));
      const at = scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'];
      assert.equal(Date.parse(at), minutes * 60_000);
      assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
      await ok([
        'wait',
        '--for=condition=complete',
        `job/${scheduled.metadata.name}`,
        `--timeout=${WAIT_S}s`,
      ]);
      const status = await waitFor('cronjob/tick to see its Job complete', async () => {
        const s = (await json('get', 'cronjob', 'tick')).status ?? {};
        return s.lastSuccessfulTime && !s.active ? s : undefined;
      });
      assert.ok(Date.parse(status.lastScheduleTime) >= minutes * 60_000);
      const events = await reasons('tick');
      assert.ok(
        events.includes(`SuccessfulCreate: Created job ${scheduled.metadata.name}`),
        events.join('\n'),
      );
      assert.ok(
        events.some((e) =>
          e.startsWith(`SawCompletedJob: Saw completed job: ${scheduled.metadata.name}`),
        ),
        events.join('\n'),
      );
    });
  },
);
