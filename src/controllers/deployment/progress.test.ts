import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { computeHash } from './hash.ts';
import { deployment, podTemplate, replicaSet } from './fixtures.ts';
import { iso, lastStatus, NOW, setup } from './test-support.ts';

// The Progressing condition of a rolling update from v1 to v2 (3 replicas, maxSurge 1,
// maxUnavailable 0), with the controller's clock in the test's hands.

const h2 = `web-${computeHash(podTemplate('v2'))}`;
const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
const available = {
  type: 'Available',
  status: 'True',
  lastUpdateTime: iso(NOW - 600_000),
  lastTransitionTime: iso(NOW - 600_000),
  reason: 'MinimumReplicasAvailable',
  message: 'Deployment has minimum availability.',
};
const progressing = (reason: string, message: string, at = NOW) => ({
  type: 'Progressing',
  status: 'True',
  lastUpdateTime: iso(at),
  lastTransitionTime: iso(NOW - 600_000),
  reason,
  message,
});

/** Mid-rollout: old 3 of 3 available, new 1 surged and `newAvailable` of it available. */
function midRollout(newAvailable: number, status: Record<string, unknown>) {
  const annotations = { 'deployment.kubernetes.io/revision': '2' };
  const d = deployment('web', {
    image: 'v2',
    strategy,
    progressDeadlineSeconds: 10,
    status,
    annotations,
  });
  const rss: KubeObject[] = [
    replicaSet(d, { image: 'v1', revision: 1, replicas: 3, desired: 3, max: 4 }),
    replicaSet(d, {
      image: 'v2',
      revision: 2,
      replicas: 1,
      available: newAvailable,
      desired: 3,
      max: 4,
      age: 1,
    }),
  ];
  return { d, rss };
}

const stalled = {
  observedGeneration: 1,
  replicas: 4,
  updatedReplicas: 1,
  readyReplicas: 3,
  availableReplicas: 3,
  unavailableReplicas: 1,
};

describe('Progressing', () => {
  it('times out after progressDeadlineSeconds without progress', async () => {
    const conditions = [
      available,
      progressing('ReplicaSetUpdated', `ReplicaSet "${h2}" is progressing.`),
    ];
    const { d, rss } = midRollout(0, { ...stalled, conditions });
    const { dc, calls, clock, caches } = setup([d], rss);
    const first = await dc.reconcile('ns/web');
    assert.deepEqual(calls, [], 'nothing to do, nothing changed');
    assert.deepEqual(first, { requeueAfterMs: 11_000 }, 'look again at the deadline, plus 1 s');

    clock.advance(10_000);
    assert.deepEqual(await dc.reconcile('ns/web'), { requeueAfterMs: 1000 });
    clock.advance(1000);
    assert.equal(await dc.reconcile('ns/web'), undefined);
    const timedOut = lastStatus(calls).conditions[1];
    assert.deepEqual(timedOut, {
      type: 'Progressing',
      status: 'False',
      lastUpdateTime: iso(NOW + 11_000),
      lastTransitionTime: iso(NOW + 11_000),
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${h2}" has timed out progressing.`,
    });

    // Reported once: pausing does not overwrite it, nor does a later look.
    caches.deployments.set({ ...d, status: lastStatus(calls) });
    calls.length = 0;
    assert.equal(await dc.reconcile('ns/web'), undefined);
    assert.deepEqual(calls, []);
  });

  it('moves lastUpdateTime, not lastTransitionTime, on progress', async () => {
    const conditions = [
      available,
      progressing('ReplicaSetUpdated', `ReplicaSet "${h2}" is progressing.`, NOW - 5000),
    ];
    const { d, rss } = midRollout(1, { ...stalled, conditions });
    const { dc, calls } = setup([d], rss);
    await dc.reconcile('ns/web');
    const status = lastStatus(calls);
    assert.equal(status.availableReplicas, 4);
    assert.deepEqual(
      status.conditions[1],
      progressing('ReplicaSetUpdated', `ReplicaSet "${h2}" is progressing.`),
    );
  });

  it('reports NewReplicaSetAvailable once complete, and does not look again', async () => {
    const done = {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    };
    const conditions = [
      available,
      progressing('ReplicaSetUpdated', `ReplicaSet "${h2}" is progressing.`),
    ];
    const d = deployment('web', { image: 'v2', strategy, status: { ...done, conditions } });
    const rss = [
      replicaSet(d, { image: 'v1', revision: 1 }),
      replicaSet(d, { image: 'v2', revision: 2, replicas: 3, desired: 3, max: 4 }),
    ];
    const { dc, calls } = setup([d], rss);
    assert.equal(await dc.reconcile('ns/web'), undefined);
    assert.deepEqual(
      lastStatus(calls).conditions[1],
      progressing('NewReplicaSetAvailable', `ReplicaSet "${h2}" has successfully progressed.`),
    );
  });

  it('notes a new ReplicaSet found without a Progressing condition (FoundNewReplicaSet)', async () => {
    const d = deployment('web', { image: 'v2', strategy });
    const rs = replicaSet(d, { image: 'v2', revision: 1, replicas: 3, desired: 3, max: 4 });
    const { dc, calls } = setup([d], [rs]);
    await dc.reconcile('ns/web');
    const writes = calls.filter((c) => c.subresource === 'status').map((c) => c.body);
    assert.equal(writes[0].metadata.annotations['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(writes[0].status.conditions[0], {
      ...progressing('FoundNewReplicaSet', `Found new replica set "${h2}"`),
      lastTransitionTime: iso(NOW),
    });
    const last = writes.at(-1).status.conditions.find((c: KubeObject) => c.type === 'Progressing');
    assert.equal(last.reason, 'NewReplicaSetAvailable');
  });

  it('promotes a ReplicaSet failure to a ReplicaFailure condition', async () => {
    const { d, rss } = midRollout(0, stalled);
    const failure = {
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: iso(NOW - 1000),
      reason: 'FailedCreate',
      message: 'pods "web-" is forbidden: exceeded quota',
    };
    (rss[1]!.status as Record<string, unknown>).conditions = [failure];
    const { dc, calls } = setup([d], rss);
    await dc.reconcile('ns/web');
    const promoted = lastStatus(calls).conditions.find(
      (c: KubeObject) => c.type === 'ReplicaFailure',
    );
    assert.deepEqual(promoted, { ...failure, lastUpdateTime: failure.lastTransitionTime });
  });
});
