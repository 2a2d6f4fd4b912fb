import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { SchedulerCache } from '../cache.ts';
import {
  SKIP,
  SUCCESS,
  unschedulable,
  type FilterPlugin,
  type ScorePlugin,
} from '../framework/index.ts';
import { findPreemption } from './preemption.ts';
import { numFeasibleNodesToFind, schedulePod } from './schedule-pod.ts';

const node = (name: string, cpu = '4'): KubeObject => ({
  metadata: { name, labels: { size: cpu } },
  status: { allocatable: { cpu, memory: '8Gi', pods: '110' } },
});
const pod: KubeObject = {
  metadata: { name: 'p', namespace: 'default', uid: 'p' },
  spec: { containers: [] },
};

const onlyBig: FilterPlugin = {
  name: 'OnlyBig',
  filter: (_s, _p, n) => (n.allocatable.milliCPU >= 8000 ? SUCCESS : unschedulable('too small')),
};
const preferMostCpu: ScorePlugin = {
  name: 'MostCpu',
  weight: 1,
  score: (_s, _p, n) => n.allocatable.milliCPU,
};

/** Nodes a (4 cpu), b (8) and c (16). */
function smallMediumLarge(): SchedulerCache {
  const cache = new SchedulerCache();
  for (const [n, cpu] of [
    ['a', '4'],
    ['b', '8'],
    ['c', '16'],
  ] as const)
    cache.upsertNode(node(n, cpu));
  return cache;
}

describe('one scheduling decision', () => {
  it('filters, scores and picks the best node', () => {
    const cache = smallMediumLarge();
    const result = schedulePod(pod, cache.snapshot(), {
      filters: [onlyBig],
      scores: [preferMostCpu],
      startIndex: 0,
    });
    assert.equal(result.node, 'c');
    assert.equal(result.feasible, 2);
    assert.deepEqual(result.statuses.get('a'), {
      code: 'Unschedulable',
      reasons: ['too small'],
      plugin: 'OnlyBig',
    });
  });

  it('leaves out the Filter and Score of plugins whose PreFilter or PreScore say Skip', () => {
    const cache = smallMediumLarge();
    const calls: string[] = [];
    const skippedFilter: FilterPlugin = {
      name: 'Skipped',
      preFilter: () => SKIP,
      filter: (_s, _p, n) => (calls.push(`filter ${n.name}`), unschedulable('never asked')),
    };
    const skippedScore: ScorePlugin = {
      name: 'SkippedScore',
      weight: 100,
      preScore: () => SKIP,
      score: (_s, _p, n) => (calls.push(`score ${n.name}`), n.name === 'b' ? 1000 : 0),
      normalizeScore: () => calls.push('normalize'),
    };
    const result = schedulePod(pod, cache.snapshot(), {
      filters: [skippedFilter, onlyBig],
      scores: [skippedScore, preferMostCpu],
      startIndex: 0,
    });
    assert.deepEqual(calls, []);
    assert.equal(result.node, 'c');
    assert.equal(result.statuses.get('a')?.plugin, 'OnlyBig');
  });

  it('reports every node when nothing fits', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node('a', '4'));
    const result = schedulePod(pod, cache.snapshot(), {
      filters: [onlyBig],
      scores: [],
      startIndex: 0,
    });
    assert.equal(result.node, undefined);
    assert.equal(result.statuses.size, 1);
  });

  it('counts an assumed pod at once, and drops it when forgotten', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node('a', '4'));
    const heavy: KubeObject = {
      metadata: { name: 'h', namespace: 'default', uid: 'h' },
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: '3' } } }] },
    };
    cache.assume(heavy, 'a');
    assert.equal(cache.snapshot().get('a')!.requested.milliCPU, 3000);
    assert.equal(cache.snapshot().get('a')!.requested.pods, 1);
    cache.forget(heavy);
    assert.equal(cache.snapshot().get('a')!.requested.milliCPU, 0);
  });

  it('looks at a share of the nodes in big clusters, as kube-scheduler does', () => {
    assert.equal(numFeasibleNodesToFind(50), 50);
    assert.equal(numFeasibleNodesToFind(1000), 420);
    assert.equal(numFeasibleNodesToFind(5000), 500);
    assert.equal(numFeasibleNodesToFind(200), 100);
  });

  it('counts pods nominated to a node when the view says so', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node('a', '4'));
    const roomFor: FilterPlugin = {
      name: 'RoomFor2Cpu',
      filter: (_s, _p, n) =>
        n.allocatable.milliCPU - n.requested.milliCPU >= 2000
          ? SUCCESS
          : unschedulable('Insufficient cpu'),
    };
    const nominated = {
      pod: { metadata: { name: 'vip', uid: 'vip' } },
      requests: { milliCPU: 3000, memory: 0, ephemeralStorage: 0, pods: 1, scalar: {} },
      nonZero: { milliCPU: 3000, memory: 0 },
    };
    const free = schedulePod(pod, cache.snapshot(), {
      filters: [roomFor],
      scores: [],
      startIndex: 0,
    });
    assert.equal(free.node, 'a');
    const reserved = schedulePod(pod, cache.snapshot(), {
      filters: [roomFor],
      scores: [],
      startIndex: 0,
      withNominated: (n) => ({
        ...n,
        pods: [...n.pods, nominated],
        requested: { ...n.requested, milliCPU: n.requested.milliCPU + 3000 },
      }),
    });
    assert.equal(reserved.node, undefined, 'the room is held for the nominated pod');
  });

  it('leaves skipped filters out of preemption too', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node('a', '4'));
    const low: KubeObject = {
      metadata: { name: 'low', namespace: 'default', uid: 'low' },
      spec: { nodeName: 'a', priority: 0, containers: [] },
    };
    cache.upsertAssignedPod(low);
    const high: KubeObject = {
      metadata: { name: 'high', namespace: 'default', uid: 'high' },
      spec: { priority: 100, containers: [] },
    };
    const full: FilterPlugin = {
      name: 'Full',
      filter: (_s, _p, n) => (n.pods.length === 0 ? SUCCESS : unschedulable('full')),
    };
    const skipped: FilterPlugin = {
      name: 'Skipped',
      preFilter: () => SKIP,
      filter: () => unschedulable('never asked'),
    };
    const snapshot = cache.snapshot();
    const candidate = findPreemption({
      pod: high,
      snapshot,
      filters: [skipped, full],
      statuses: new Map([['a', unschedulable('full')]]),
      priorityOf: (p) => (p.spec as { priority: number }).priority,
      violatesBudget: () => false,
    });
    assert.equal(candidate?.node, 'a');
    assert.deepEqual(
      candidate?.victims.map((v) => v.metadata?.name),
      ['low'],
    );
  });
});
