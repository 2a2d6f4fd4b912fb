import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import {
  makeNode,
  makePod,
  makeSnapshot,
  runFilter,
  runScore,
  summarize,
} from '../testing/fixtures.ts';
import { NodeResourcesFit } from './index.ts';

const cap = (cpu: string, memory: string, pods = '110') => ({ cpu, memory, pods });

describe('NodeResourcesFit filter', () => {
  const cases: {
    name: string;
    pod: KubeObject;
    allocatable?: Record<string, string>;
    existing?: KubeObject[];
    want: string;
  }[] = [
    { name: 'fits', pod: makePod('p', { requests: { cpu: '1', memory: '1Gi' } }), want: 'Success' },
    {
      name: 'a pod requesting nothing still needs a pod slot',
      pod: makePod('p'),
      allocatable: cap('4', '8Gi', '1'),
      existing: [makePod('a')],
      want: 'Unschedulable: Too many pods',
    },
    {
      name: 'cpu against allocatable minus what is assigned',
      pod: makePod('p', { requests: { cpu: '2' } }),
      existing: [makePod('a', { requests: { cpu: '3' } })],
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'every reason, in kube-scheduler order',
      pod: makePod('p', { requests: { cpu: '5', memory: '9Gi', 'ephemeral-storage': '2Gi' } }),
      allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '1Gi', pods: '0' },
      want: 'Unschedulable: Too many pods; Insufficient cpu; Insufficient memory; Insufficient ephemeral-storage',
    },
    {
      name: 'an init container bigger than the app containers counts',
      pod: makePod('p', {
        containers: [{ resources: { requests: { cpu: '1' } } }],
        initContainers: [{ resources: { requests: { cpu: '3' } } }],
      }),
      existing: [makePod('a', { requests: { cpu: '2' } })],
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'sidecars add to the app containers',
      pod: makePod('p', {
        containers: [{ resources: { requests: { memory: '3Gi' } } }],
        initContainers: [{ restartPolicy: 'Always', resources: { requests: { memory: '3Gi' } } }],
      }),
      existing: [makePod('a', { requests: { memory: '3Gi' } })],
      want: 'Unschedulable: Insufficient memory',
    },
    {
      name: 'requests default to limits',
      pod: makePod('p', { containers: [{ resources: { limits: { cpu: '5' } } }] }),
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'pod overhead counts',
      pod: makePod('p', { requests: { cpu: '3500m' }, overhead: { cpu: '600m' } }),
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'extended resource',
      pod: makePod('p', { requests: { 'example.com/gpu': '2' } }),
      allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'example.com/gpu': '1' },
      want: 'Unschedulable: Insufficient example.com/gpu',
    },
    {
      name: 'extended resource the node lacks',
      pod: makePod('p', { requests: { 'example.com/gpu': '1' } }),
      want: 'Unschedulable: Insufficient example.com/gpu',
    },
    {
      name: 'exactly full still fits',
      pod: makePod('p', { requests: { cpu: '1', memory: '4Gi' } }),
      existing: [makePod('a', { requests: { cpu: '3', memory: '4Gi' } })],
      want: 'Success',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const node = makeNode('n1', { allocatable: c.allocatable, pods: c.existing });
      const { statuses } = runFilter(new NodeResourcesFit(), c.pod, makeSnapshot([node]));
      assert.equal(summarize(statuses).n1, c.want);
    });
  }
});

// Cases from kube-scheduler's least_allocated_test.go (capacities in whole cores and bytes).
describe('NodeResourcesFit score (LeastAllocated)', () => {
  const big = (name: string, cpu: string, memory: string, pods: KubeObject[] = []) =>
    makeNode(name, { allocatable: cap(cpu, memory), pods });
  const req = (cpu: string, memory: string) => ({ resources: { requests: { cpu, memory } } });
  const requesting = makePod('p', { containers: [req('1000', '2000'), req('2000', '3000')] });
  const cases: {
    name: string;
    pod: KubeObject;
    nodes: () => ReturnType<typeof big>[];
    want: Record<string, number>;
  }[] = [
    {
      name: 'nothing scheduled, nothing requested',
      pod: makePod('p'),
      nodes: () => [big('n1', '4000', '10000'), big('n2', '4000', '10000')],
      want: { n1: 100, n2: 100 },
    },
    {
      name: 'nothing scheduled, resources requested, differently sized nodes',
      pod: requesting,
      nodes: () => [big('n1', '4000', '10000'), big('n2', '6000', '10000')],
      want: { n1: 37, n2: 50 },
    },
    {
      name: 'resources requested, pods scheduled with resources, differently sized nodes',
      pod: requesting,
      nodes: () => [
        big('n1', '10000', '20000', [makePod('a', { requests: { cpu: '3000', memory: '0' } })]),
        big('n2', '10000', '50000', [makePod('b', { requests: { cpu: '3000', memory: '5000' } })]),
      ],
      want: { n1: 57, n2: 60 },
    },
    {
      name: 'requested resources exceed node capacity',
      pod: makePod('p', { requests: { cpu: '3000', memory: '0' } }),
      nodes: () => [
        big('n1', '4000', '10000', [makePod('a', { requests: { cpu: '3000', memory: '0' } })]),
        big('n2', '4000', '10000', [makePod('b', { requests: { cpu: '3000', memory: '5000' } })]),
      ],
      want: { n1: 50, n2: 25 },
    },
    {
      name: 'zero node resources',
      pod: makePod('p'),
      nodes: () => [makeNode('n1', { allocatable: { pods: '110' } })],
      want: { n1: 0 },
    },
    {
      name: 'containers without requests count 100m cpu and 200Mi memory',
      pod: makePod('p', { containers: [{}] }),
      nodes: () => [
        makeNode('n1', {
          allocatable: cap('4', '8192Mi'),
          pods: [makePod('a', { containers: [{}, {}] })],
        }),
        makeNode('n2', { allocatable: cap('4', '8192Mi') }),
      ],
      // n1: cpu (4000-300)*100/4000 = 92, memory (8192-600)/8192 → 92; n2: 97 and 97.
      want: { n1: 92, n2: 97 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = makeSnapshot(c.nodes());
      assert.deepEqual(runScore(new NodeResourcesFit(), c.pod, snapshot), c.want);
    });
  }

  it('weights cpu and memory as configured', () => {
    const snapshot = makeSnapshot([big('n1', '4000', '10000'), big('n2', '6000', '10000')]);
    const plugin = new NodeResourcesFit({ cpuWeight: 1, memoryWeight: 2 });
    assert.deepEqual(runScore(plugin, requesting, snapshot), { n1: 41, n2: 50 });
  });
});
