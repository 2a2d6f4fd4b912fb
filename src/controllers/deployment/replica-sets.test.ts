import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setNewReplicaSetAnnotations } from './annotations.ts';
import { resolveFenceposts, scaledValue } from './replica-sets.ts';
import { deployment, replicaSet } from './fixtures.ts';

describe('resolveFenceposts', () => {
  const cases: [string, number | string, number | string, number, number, number][] = [
    // name, maxSurge, maxUnavailable, replicas → surge, unavailable
    ['the defaults on 3 replicas', '25%', '25%', 3, 1, 0],
    ['the defaults on 10 replicas', '25%', '25%', 10, 3, 2],
    ['the defaults on 1 replica', '25%', '25%', 1, 1, 0],
    ['integers as they are', 2, 1, 10, 2, 1],
    ['surge rounds up, unavailable down', '30%', '30%', 5, 2, 1],
    ['0 and 0 allow one unavailable', 0, 0, 4, 0, 1],
    ['0% and 0% too', '0%', '0%', 4, 0, 1],
    ['100% surge', '100%', 0, 3, 3, 0],
    ['zero replicas', '25%', '25%', 0, 0, 1],
  ];
  for (const [name, surge, unavailable, replicas, wantSurge, wantUnavailable] of cases) {
    it(name, () => {
      assert.deepEqual(resolveFenceposts(surge, unavailable, replicas), {
        surge: wantSurge,
        unavailable: wantUnavailable,
      });
    });
  }

  it('refuses strings that are not percentages', () => {
    assert.throws(() => scaledValue('3', 10, true), /string is not a percentage/);
  });
});

describe('setNewReplicaSetAnnotations', () => {
  it('raises a reused revision and remembers the old one in revision-history', () => {
    const d = deployment('web', { annotations: { team: 'a', 'kubernetes.io/change-cause': 'x' } });
    const rs = replicaSet(d, {
      revision: 1,
      annotations: { 'deployment.kubernetes.io/revision-history': '' },
    });
    assert.ok(setNewReplicaSetAnnotations(d, rs, '3', true));
    assert.deepEqual(rs.metadata?.annotations, {
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
      team: 'a',
      'kubernetes.io/change-cause': 'x',
    });
    assert.ok(setNewReplicaSetAnnotations(d, rs, '5', true));
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1,3');
    assert.ok(!setNewReplicaSetAnnotations(d, rs, '4', true), 'never lowered');
  });

  it('copies all but the skipped annotations, and sets the replicas ones on creation', () => {
    const d = deployment('web', {
      replicas: 4,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'deployment.kubernetes.io/revision': '7',
        note: 'kept',
      },
    });
    const rs = replicaSet(d);
    setNewReplicaSetAnnotations(d, rs, '8', false);
    assert.deepEqual(rs.metadata?.annotations, {
      note: 'kept',
      'deployment.kubernetes.io/revision': '8',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
  });

  it('drops the oldest revisions beyond the history limit', () => {
    const d = deployment('web');
    const history = '1,2,3';
    const rs = replicaSet(d, {
      revision: 4,
      annotations: { 'deployment.kubernetes.io/revision-history': history },
    });
    setNewReplicaSetAnnotations(d, rs, '10', true, 6);
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '2,3,4');
  });
});
