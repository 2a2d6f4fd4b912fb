import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { compareForDeletion, deletionCost, podsToDelete, POD_DELETION_COST } from './ranking.ts';
import { NOW, pod } from './test-support.ts';

// ActivePodsWithRanks.Less, rule by rule: in each case `first` must go before `second`,
// whichever way round they are compared.

const HOUR = 3_600_000;
const unscheduled = (p: KubeObject) => ({ ...p, spec: { containers: [] } });

const cases: { rule: string; first: KubeObject; second: KubeObject; ranks?: [number, number] }[] = [
  {
    rule: 'unscheduled before scheduled',
    first: unscheduled(pod('a', { phase: 'Pending' })),
    second: pod('b', { phase: 'Pending' }),
  },
  {
    rule: 'Pending before Unknown',
    first: pod('a', { phase: 'Pending' }),
    second: pod('b', { phase: 'Unknown' }),
  },
  {
    rule: 'Unknown before Running',
    first: pod('a', { phase: 'Unknown' }),
    second: pod('b', { phase: 'Running' }),
  },
  {
    rule: 'not ready before ready',
    first: pod('a'),
    second: pod('b', { readySince: NOW - HOUR }),
  },
  {
    rule: 'lower deletion cost first',
    first: pod('a', { annotations: { [POD_DELETION_COST]: '-5' }, readySince: NOW - 1000 }),
    second: pod('b', { readySince: NOW - 1000 }),
  },
  {
    rule: 'deletion cost before node rank',
    first: pod('a', { annotations: { [POD_DELETION_COST]: '1' } }),
    second: pod('b', { annotations: { [POD_DELETION_COST]: '2' } }),
    ranks: [1, 5],
  },
  {
    rule: 'more related pods on the node first',
    first: pod('a', { readySince: NOW - 10 * HOUR }),
    second: pod('b', { readySince: NOW - 1000 }),
    ranks: [3, 1],
  },
  {
    rule: 'ready for less time first (logarithmic)',
    first: pod('a', { readySince: NOW - 60_000 }),
    second: pod('b', { readySince: NOW - 10 * HOUR }),
  },
  {
    rule: 'more restarts first',
    first: pod('a', { restarts: 3, created: NOW - 10 * HOUR }),
    second: pod('b', { restarts: 1, created: NOW - 1000 }),
  },
  {
    rule: 'newer first',
    first: pod('a', { created: NOW - 60_000 }),
    second: pod('b', { created: NOW - 10 * HOUR }),
  },
  {
    // Same power-of-two age bucket: the UID decides, not the exact time.
    rule: 'same logarithmic age: lower UID first',
    first: pod('a', { created: NOW - 10 * HOUR }),
    second: pod('b', { created: NOW - 10 * HOUR - 1000 }),
  },
  {
    rule: 'same logarithmic age: lower UID first, even if older',
    first: pod('a', { created: NOW - 10 * HOUR - 1000 }),
    second: pod('b', { created: NOW - 10 * HOUR }),
  },
];

describe('deletion order', () => {
  for (const { rule, first, second, ranks = [0, 0] } of cases) {
    it(rule, () => {
      assert.equal(compareForDeletion(first, second, ranks[0], ranks[1], NOW), -1);
      assert.equal(compareForDeletion(second, first, ranks[1], ranks[0], NOW), 1);
    });
  }

  it('treats identical pods as equal', () => {
    assert.equal(compareForDeletion(pod('a'), pod('a'), 0, 0, NOW), 0);
  });

  it('ranks by the active related pods on each node', () => {
    const crowded = [pod('a', { node: 'n1', readySince: NOW - HOUR })];
    const alone = pod('b', { node: 'n2', readySince: NOW - 60_000 });
    const related = [
      ...crowded,
      alone,
      pod('x', { node: 'n1' }),
      pod('y', { node: 'n1' }),
      pod('z', { node: 'n2', phase: 'Failed' }),
    ];
    const chosen = podsToDelete([alone, ...crowded], related, 1, NOW);
    assert.deepEqual(
      chosen.map((p) => p.metadata?.name),
      ['a'],
      'the crowded node loses a pod, though it is older',
    );
  });

  it('picks the first pods of the order, leaving its input alone', () => {
    const active = [
      pod('running', { readySince: NOW - HOUR }),
      pod('pending', { phase: 'Pending' }),
      unscheduled(pod('unscheduled', { phase: 'Pending' })),
      pod('not-ready'),
    ];
    const names = (ps: KubeObject[]) => ps.map((p) => p.metadata?.name);
    assert.deepEqual(names(podsToDelete(active, [], 3, NOW)), [
      'unscheduled',
      'pending',
      'not-ready',
    ]);
    assert.deepEqual(names(active), ['running', 'pending', 'unscheduled', 'not-ready']);
    assert.equal(podsToDelete(active, [], 4, NOW).length, 4);
  });
});

describe('deletionCost', () => {
  const table: [string | undefined, number][] = [
    [undefined, 0],
    ['10', 10],
    ['-3', -3],
    ['0', 0],
    ['+1', 0],
    ['007', 0],
    ['abc', 0],
    ['2147483648', 0],
    ['-2147483648', -2147483648],
  ];
  for (const [value, want] of table) {
    it(`${JSON.stringify(value)} costs ${want}`, () => {
      const annotations = value === undefined ? undefined : { [POD_DELETION_COST]: value };
      assert.equal(deletionCost(pod('p', { annotations })), want);
    });
  }
});
