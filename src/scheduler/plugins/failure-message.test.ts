import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Status } from '../framework/index.ts';
import { defaultFilterPlugins, defaultScorePlugins, failureMessage } from './index.ts';

const st = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
const byNode = (...statuses: Status[]) =>
  new Map(statuses.map((s, i) => [`n${i + 1}`, s] as [string, Status]));

describe('failureMessage', () => {
  const taint = 'node(s) had untolerated taint {dedicated: db}';
  const cases: {
    name: string;
    nodes: number;
    statuses: Map<string, Status>;
    preFilter?: Status;
    want: string;
  }[] = [
    {
      // The issue quotes "2 Insufficient cpu, 1 node(s) …"; kube-scheduler sorts the
      // "<count> <reason>" strings, so "1 …" comes first.
      name: 'the issue example, in kube-scheduler order',
      nodes: 3,
      statuses: byNode(st('Insufficient cpu'), st(taint), st('Insufficient cpu')),
      want: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.',
    },
    {
      name: 'every reason of a node counts',
      nodes: 2,
      statuses: byNode(st('Insufficient cpu', 'Insufficient memory'), st('Insufficient memory')),
      want: '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.',
    },
    {
      name: 'sorted as strings, so 10 comes before 2',
      nodes: 12,
      statuses: byNode(...Array.from({ length: 10 }, () => st('b')), st('a'), st('a')),
      want: '0/12 nodes are available: 10 b, 2 a.',
    },
    {
      name: 'no nodes at all',
      nodes: 0,
      statuses: new Map(),
      want: 'no nodes available to schedule pods',
    },
    {
      name: 'a pre-filter rejection is stated once',
      nodes: 3,
      statuses: byNode(st('pod affinity terms conflict'), st('pod affinity terms conflict')),
      preFilter: { code: 'UnschedulableAndUnresolvable', reasons: ['pod affinity terms conflict'] },
      want: '0/3 nodes are available: pod affinity terms conflict.',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(failureMessage(c.nodes, c.statuses, c.preFilter), c.want));
  }
});

describe('default plugins', () => {
  it('filter in the default profile order', () => {
    assert.deepEqual(
      defaultFilterPlugins().map((p) => p.name),
      [
        'NodeUnschedulable',
        'NodeName',
        'TaintToleration',
        'NodeAffinity',
        'NodePorts',
        'NodeResourcesFit',
        'PodTopologySpread',
        'InterPodAffinity',
      ],
    );
  });

  it('score with the default weights', () => {
    assert.deepEqual(
      defaultScorePlugins().map((p) => [p.name, p.weight]),
      [
        ['TaintToleration', 3],
        ['NodeAffinity', 2],
        ['NodeResourcesFit', 1],
        ['PodTopologySpread', 2],
        ['InterPodAffinity', 2],
        ['NodeResourcesBalancedAllocation', 1],
      ],
    );
  });
});
