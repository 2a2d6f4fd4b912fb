import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import type { NodeInfo } from '../../framework/index.ts';
import { makeNode, makePod, makeSnapshot, runScore } from '../testing/fixtures.ts';
import { balancedResourceScore, NodeResourcesBalancedAllocation } from './index.ts';

const node = (name: string, cpu: string, memory: string, pods: KubeObject[] = []) =>
  makeNode(name, { allocatable: { cpu, memory, pods: '110' }, pods });

describe('NodeResourcesBalancedAllocation', () => {
  const cases: {
    name: string;
    pod: KubeObject;
    nodes: () => NodeInfo[];
    want: Record<string, number>;
  }[] = [
    {
      // n1: cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5, std 0.125 → 87; n2: 0.5, 0.5 → 100.
      name: 'differently sized nodes',
      pod: makePod('p', { requests: { cpu: '3000', memory: '5000' } }),
      nodes: () => [node('n1', '4000', '10000'), node('n2', '6000', '10000')],
      want: { n1: 87, n2: 100 },
    },
    {
      // cpu 5000/4000 capped at 1, memory 0.5: std 0.25 → 75.
      name: 'fractions are capped at 1',
      pod: makePod('p', { requests: { cpu: '5000', memory: '5000' } }),
      nodes: () => [node('n1', '4000', '10000')],
      want: { n1: 75 },
    },
    {
      // Best-effort pods are scored in 1.32, on the node's actual requests (no defaults):
      // cpu 3000/4000, memory 0/10000: std 0.375 → 62.
      name: 'a best-effort pod on a node with requests',
      pod: makePod('p', { containers: [{}] }),
      nodes: () => [node('n1', '4000', '10000', [makePod('a', { requests: { cpu: '3000' } })])],
      want: { n1: 62 },
    },
    {
      name: 'a node without memory allocatable scores on cpu alone',
      pod: makePod('p', { requests: { cpu: '1000', memory: '5000' } }),
      nodes: () => [node('n1', '4000', '0')],
      want: { n1: 100 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = runScore(new NodeResourcesBalancedAllocation(), c.pod, makeSnapshot(c.nodes()));
      assert.deepEqual(got, c.want);
    });
  }

  it('uses the population standard deviation beyond two resources', () => {
    // fractions 0.2, 0.5, 0.8: mean 0.5, std sqrt(0.06) = 0.2449 → 75.
    assert.equal(balancedResourceScore([2, 5, 8], [10, 10, 10]), 75);
    assert.equal(balancedResourceScore([3, 5], [4, 10]), 87);
    assert.equal(balancedResourceScore([1], [0]), 100);
  });
});
