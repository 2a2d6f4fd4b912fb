import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import type { Pod } from '../k8s-types.ts';
import { ProbeManager } from '../probes/probe-manager.ts';
import { FakeDriver } from '../runtime/fake/fake-driver.ts';
import { containerSecurity } from './container-security.ts';
import { RestartBackoff } from './backoff.ts';
import { latest, newPodRecord, type PodRecord } from './pod-record.ts';
import { podStatus, type ContainerView } from './pod-status.ts';
import { PodSyncer } from './sync-pod.ts';

// The pod lifecycle against the scriptable fake runtime: what each sync pass starts,
// restarts or leaves alone, and the status the kubelet would report for it.

function setup() {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const runtime = new FakeDriver(() => clock.now());
  const events: string[] = [];
  const probes = new ProbeManager(
    async () => ({ ok: true, message: '' }),
    { changed: () => {}, unhealthy: () => {} },
    clock,
  );
  const syncer = new PodSyncer({
    runtime,
    config: {
      environment: async () => [],
      security: (pod, container) => containerSecurity(pod, container, '/nonexistent/seccomp'),
      mounts: async () => [],
    },
    volumes: { setUp: async () => [], tearDown: async () => {} },
    events: {
      normal: (_p, reason, message) => events.push(`Normal ${reason} ${message}`),
      warning: (_p, reason, message) => events.push(`Warning ${reason} ${message}`),
    },
    probes,
    restartBackoff: new RestartBackoff(clock),
    pullBackoff: new RestartBackoff(clock),
    clock,
    hostIP: '192.0.2.10',
    runHook: async () => undefined,
  });
  return { clock, runtime, events, syncer, probes };
}

function pod(spec: Partial<NonNullable<Pod['spec']>>): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: { containers: [{ name: 'main', image: 'app:v1' }], ...spec },
  } as Pod;
}

function statusOf(record: PodRecord, clock: FakeClock) {
  const containers = new Map<string, ContainerView>();
  for (const [name, instances] of record.containers) {
    const running = instances[0]?.state === 'running';
    containers.set(name, {
      instances,
      ...(record.waiting.has(name) && !running ? { waiting: record.waiting.get(name)! } : {}),
      ready: running,
      started: running,
    });
  }
  for (const [name, waiting] of record.waiting)
    if (!containers.has(name))
      containers.set(name, { instances: [], waiting, ready: false, started: false });
  return podStatus(record.pod, {
    runtimeName: 'fake',
    sandboxReady: !!record.sandbox,
    podIPs: record.sandbox?.ips ?? [],
    hostIP: '192.0.2.10',
    startTime: record.startTime,
    initDone: record.initDone,
    containers,
    ...(record.failure ? { failure: record.failure } : {}),
    now: new Date(clock.now()).toISOString(),
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PodSyncer', () => {
  it('starts a pod: sandbox, then its container, and reports Running', async () => {
    const { runtime, syncer, clock } = setup();
    const record = newPodRecord(pod({}), '2026-01-01T00:00:00Z');
    await syncer.sync(record);
    // An image that needs no pull (IfNotPresent) is checked while the sandbox is made.
    assert.deepEqual(runtime.calls, ['pull app:v1', 'sandbox web', 'create main', 'start main']);
    const status = statusOf(record, clock);
    assert.equal(status.phase, 'Running');
    assert.equal(status.podIP, record.sandbox!.ips[0]);
    assert.equal(status.containerStatuses![0]!.state!.running !== undefined, true);
  });

  it('pulls an image of policy Always after the sandbox, once per container start', async () => {
    const { runtime, syncer } = setup();
    const record = newPodRecord(
      pod({
        containers: [
          { name: 'main', image: 'app:v1', imagePullPolicy: 'Always' },
          { name: 'side', image: 'app:v1' },
        ],
      }),
      '2026-01-01T00:00:00Z',
    );
    await syncer.sync(record);
    assert.deepEqual(runtime.calls.slice(0, 3), ['pull app:v1', 'sandbox web', 'pull app:v1']);
    assert.equal(runtime.calls.filter((c) => c === 'pull app:v1').length, 2);
  });

  it('runs init containers one at a time before the app containers', async () => {
    const { runtime, syncer, clock } = setup();
    runtime.script('init:v1', { runForMs: 5, exitCode: 0 });
    const record = newPodRecord(
      pod({
        initContainers: [
          { name: 'a', image: 'init:v1' },
          { name: 'b', image: 'init:v1' },
        ],
      }),
      '2026-01-01T00:00:00Z',
    );
    await syncer.sync(record);
    // Only the first init container's image is checked ahead, while the sandbox is made:
    // the app's is checked when its turn comes, not kept from before the init containers.
    assert.deepEqual(runtime.calls.slice(0, 2), ['pull init:v1', 'sandbox web']);
    assert.deepEqual(
      runtime.calls.filter((c) => c.startsWith('start')),
      ['start a'],
    );
    assert.ok(!runtime.calls.includes('pull app:v1'), 'the app image is not checked yet');
    assert.equal(statusOf(record, clock).phase, 'Pending');
    assert.equal(
      statusOf(record, clock).containerStatuses![0]!.state!.waiting!.reason,
      'PodInitializing',
    );
    for (const name of ['a', 'b']) {
      const id = latest(record, name)!.id;
      await new Promise((r) => setTimeout(r, 10));
      record.containers.set(name, [await runtime.inspectContainer(id)]);
      await syncer.sync(record);
    }
    assert.deepEqual(
      runtime.calls.filter((c) => c.startsWith('start')),
      ['start a', 'start b', 'start main'],
    );
    assert.equal(record.initDone, true);
  });

  it('restarts a crashed container at once, then backs off (CrashLoopBackOff)', async () => {
    const { runtime, syncer, clock } = setup();
    const record = newPodRecord(pod({}), '2026-01-01T00:00:00Z');
    await syncer.sync(record);
    const crash = async () => {
      const id = latest(record, 'main')!.id;
      runtime.exit(id, 1);
      await tick();
      record.containers.set('main', [
        await runtime.inspectContainer(id),
        ...(record.containers.get('main') ?? []).slice(0, 1),
      ]);
    };
    await crash();
    assert.deepEqual(await syncer.sync(record), {});
    assert.equal(latest(record, 'main')!.attempt, 1, 'first restart is immediate');
    await crash();
    const result = await syncer.sync(record);
    assert.equal(result.requeueAfterMs, 10_000);
    const status = statusOf(record, clock).containerStatuses![0]!;
    assert.equal(status.state!.waiting!.reason, 'CrashLoopBackOff');
    assert.match(
      status.state!.waiting!.message!,
      /^back-off 10s restarting failed container=main pod=web_default\(uid-1\)$/,
    );
    assert.equal(status.lastState!.terminated!.exitCode, 1);
    assert.equal(status.restartCount, 1);
    clock.advance(10_000);
    await syncer.sync(record);
    assert.equal(latest(record, 'main')!.attempt, 2);
  });

  it('leaves a completed container alone under restartPolicy Never and reports Succeeded', async () => {
    const { runtime, syncer, clock } = setup();
    const record = newPodRecord(pod({ restartPolicy: 'Never' }), '2026-01-01T00:00:00Z');
    await syncer.sync(record);
    const id = latest(record, 'main')!.id;
    runtime.exit(id, 0);
    record.containers.set('main', [await runtime.inspectContainer(id)]);
    await syncer.sync(record);
    assert.equal(runtime.calls.filter((c) => c.startsWith('start')).length, 1);
    const status = statusOf(record, clock);
    assert.equal(status.phase, 'Succeeded');
    assert.equal(status.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  });

  it('reports an image that cannot be pulled as ErrImagePull, then ImagePullBackOff', async () => {
    const { runtime, syncer, clock, events } = setup();
    runtime.script('missing:v1', { pullError: 'pull access denied for missing' });
    const record = newPodRecord(
      pod({ containers: [{ name: 'main', image: 'missing:v1' }] }),
      '2026-01-01T00:00:00Z',
    );
    await syncer.sync(record);
    assert.equal(
      statusOf(record, clock).containerStatuses![0]!.state!.waiting!.reason,
      'ErrImagePull',
    );
    assert.ok(
      events.includes(
        'Warning Failed Failed to pull image "missing:v1": pull access denied for missing',
      ),
    );
    await syncer.sync(record);
    assert.equal(
      statusOf(record, clock).containerStatuses![0]!.state!.waiting!.reason,
      'ImagePullBackOff',
    );
    assert.equal(statusOf(record, clock).phase, 'Pending');
  });

  it('fails a pod past its activeDeadlineSeconds', async () => {
    const { syncer, clock, runtime } = setup();
    const record = newPodRecord(pod({ activeDeadlineSeconds: 30 }), '2026-01-01T00:00:00Z');
    const first = await syncer.sync(record);
    assert.equal(first.requeueAfterMs, 30_000);
    clock.advance(30_000);
    await syncer.sync(record);
    const status = statusOf(record, clock);
    assert.equal(status.phase, 'Failed');
    assert.equal(status.reason, 'DeadlineExceeded');
    assert.ok(runtime.calls.some((c) => c.startsWith('stop main')));
  });
});
