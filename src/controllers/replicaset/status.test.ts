import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateStatus, REPLICA_FAILURE, statusUnchanged } from './status.ts';
import { iso, NOW, pod, replicaSet } from './test-support.ts';

describe('calculateStatus', () => {
  const cases = [
    { what: 'no pods', pods: [], min: 0, want: { replicas: 0 } },
    {
      what: 'ready pods are available without minReadySeconds',
      pods: [pod('a', { readySince: NOW - 1000 }), pod('b')],
      min: 0,
      want: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1 },
    },
    {
      what: 'available only after minReadySeconds of readiness',
      pods: [pod('a', { readySince: NOW - 11_000 }), pod('b', { readySince: NOW - 9_000 })],
      min: 10,
      want: { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 },
    },
    {
      what: 'fully labeled only with every template label',
      pods: [
        pod('a', { labels: { app: 'web' } }),
        pod('b', { labels: { app: 'web', tier: 'front', x: 'y' } }),
      ],
      min: 0,
      want: { replicas: 2, fullyLabeledReplicas: 1 },
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const rs = replicaSet('web', { replicas: 2, minReadySeconds: c.min });
      assert.deepEqual(calculateStatus(rs, c.pods, undefined, NOW), c.want);
    });
  }

  it('sets ReplicaFailure on a failed creation and keeps the first one', () => {
    const rs = replicaSet('web', { replicas: 3 });
    const failed = calculateStatus(rs, [pod('a')], new Error('exceeded quota'), NOW);
    assert.deepEqual(failed.conditions, [
      {
        type: REPLICA_FAILURE,
        status: 'True',
        lastTransitionTime: iso(NOW),
        reason: 'FailedCreate',
        message: 'exceeded quota',
      },
    ]);
    const again = calculateStatus({ ...rs, status: failed }, [], new Error('other'), NOW + 5000);
    assert.deepEqual(again.conditions, failed.conditions);
  });

  it('says FailedDelete when there were too many pods', () => {
    const rs = replicaSet('web', { replicas: 0 });
    const status = calculateStatus(rs, [pod('a')], new Error('boom'), NOW);
    assert.equal(status.conditions?.[0]?.reason, 'FailedDelete');
  });

  it('removes ReplicaFailure after a sync without failure, keeping other conditions', () => {
    const other = { type: 'Other', status: 'True' };
    const failure = { type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate' };
    const rs = replicaSet('web', { status: { replicas: 0, conditions: [other, failure] } });
    assert.deepEqual(calculateStatus(rs, [], undefined, NOW).conditions, [other]);
    const only = replicaSet('web', { status: { replicas: 0, conditions: [failure] } });
    assert.equal('conditions' in calculateStatus(only, [], undefined, NOW), false);
  });
});

describe('statusUnchanged', () => {
  it('is true when counts, generation and conditions agree', () => {
    const rs = replicaSet('web', { status: { replicas: 1, observedGeneration: 1 } });
    assert.equal(statusUnchanged(rs, { replicas: 1 }), true);
    assert.equal(statusUnchanged(rs, { replicas: 1, readyReplicas: 1 }), false);
    const newer = replicaSet('web', {
      generation: 2,
      status: { replicas: 1, observedGeneration: 1 },
    });
    assert.equal(statusUnchanged(newer, { replicas: 1 }), false, 'a new generation is observed');
  });
});
