import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import type { CycleState, NodeInfo } from '../../framework/index.ts';
import type { Taint, TopologySpreadConstraint } from '../helper/index.ts';
import {
  makeNode,
  makePod,
  makeSnapshot,
  runFilter,
  runScore,
  summarize,
} from '../testing/fixtures.ts';
import { PodTopologySpread } from './index.ts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
const MISSING =
  "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";

const foo = (name: string, extra: Parameters<typeof makePod>[1] = {}) =>
  makePod(name, { labels: { app: 'foo' }, ...extra });
const spread = (
  topologyKey: string,
  extra: Partial<TopologySpreadConstraint> = {},
): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'foo' } },
  ...extra,
});

interface Layout {
  /** Pods per node n1..n4 (zones a, a, b, b). */
  pods?: [KubeObject[], KubeObject[], KubeObject[], KubeObject[]];
  taintZoneB?: boolean;
  extraNodes?: NodeInfo[];
}

function cluster(l: Layout = {}) {
  const pods = l.pods ?? [[foo('a1'), foo('a2')], [foo('a3')], [], []];
  const taints: Taint[] | undefined = l.taintZoneB
    ? [{ key: 'x', effect: 'NoSchedule' }]
    : undefined;
  return makeSnapshot([
    makeNode('n1', { labels: { [ZONE]: 'a' }, pods: pods[0] }),
    makeNode('n2', { labels: { [ZONE]: 'a' }, pods: pods[1] }),
    makeNode('n3', { labels: { [ZONE]: 'b' }, pods: pods[2], taints }),
    makeNode('n4', { labels: { [ZONE]: 'b' }, pods: pods[3], taints }),
    ...(l.extraNodes ?? []),
  ]);
}

const fits = (...ok: string[]) =>
  Object.fromEntries(['n1', 'n2', 'n3', 'n4'].map((n) => [n, ok.includes(n) ? 'Success' : SKEW]));

describe('PodTopologySpread filter', () => {
  const cases: { name: string; pod: KubeObject; layout?: Layout; want: Record<string, string> }[] =
    [
      { name: 'no constraints', pod: foo('p'), want: fits('n1', 'n2', 'n3', 'n4') },
      {
        name: 'zone: 3 + 1 - 0 > 1 in zone a',
        pod: foo('p', { topologySpreadConstraints: [spread(ZONE)] }),
        want: fits('n3', 'n4'),
      },
      {
        name: 'hostname',
        pod: foo('p', { topologySpreadConstraints: [spread(HOST)] }),
        want: fits('n3', 'n4'),
      },
      {
        name: 'ScheduleAnyway does not filter',
        pod: foo('p', {
          topologySpreadConstraints: [spread(ZONE, { whenUnsatisfiable: 'ScheduleAnyway' })],
        }),
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
      {
        name: 'a pod outside its own selector adds nothing',
        pod: makePod('p', { topologySpreadConstraints: [spread(HOST)] }),
        want: fits('n2', 'n3', 'n4'),
      },
      {
        name: 'minDomains above the domain count makes the global minimum 0',
        pod: foo('p', { topologySpreadConstraints: [spread(ZONE, { minDomains: 3 })] }),
        layout: { pods: [[foo('a1')], [], [foo('b1')], []] },
        want: fits(),
      },
      {
        name: 'within minDomains',
        pod: foo('p', { topologySpreadConstraints: [spread(ZONE, { minDomains: 2 })] }),
        layout: { pods: [[foo('a1')], [], [foo('b1')], []] },
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
      {
        name: 'nodeAffinityPolicy Honor (default) leaves unselected domains out',
        pod: foo('p', { nodeSelector: { [ZONE]: 'a' }, topologySpreadConstraints: [spread(ZONE)] }),
        layout: { pods: [[foo('a1')], [], [], []] },
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
      {
        name: 'nodeAffinityPolicy Ignore counts them',
        pod: foo('p', {
          nodeSelector: { [ZONE]: 'a' },
          topologySpreadConstraints: [spread(ZONE, { nodeAffinityPolicy: 'Ignore' })],
        }),
        layout: { pods: [[foo('a1')], [], [], []] },
        want: fits('n3', 'n4'),
      },
      {
        name: 'nodeTaintsPolicy Ignore (default) counts tainted domains',
        pod: foo('p', { topologySpreadConstraints: [spread(ZONE)] }),
        layout: { pods: [[foo('a1')], [], [], []], taintZoneB: true },
        want: fits('n3', 'n4'),
      },
      {
        name: 'nodeTaintsPolicy Honor leaves them out',
        pod: foo('p', { topologySpreadConstraints: [spread(ZONE, { nodeTaintsPolicy: 'Honor' })] }),
        layout: { pods: [[foo('a1')], [], [], []], taintZoneB: true },
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
      {
        name: 'terminating pods and other namespaces do not count',
        pod: foo('p', { topologySpreadConstraints: [spread(HOST)] }),
        layout: {
          pods: [[foo('a1', { terminating: true }), foo('a2', { namespace: 'x' })], [], [], []],
        },
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
      {
        name: 'matchLabelKeys add the pod’s own values',
        pod: foo('p', {
          labels: { app: 'foo', rev: '2' },
          topologySpreadConstraints: [spread(HOST, { matchLabelKeys: ['rev'] })],
        }),
        layout: { pods: [[foo('a1', { labels: { app: 'foo', rev: '1' } })], [], [], []] },
        want: fits('n1', 'n2', 'n3', 'n4'),
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const got = summarize(runFilter(new PodTopologySpread(), c.pod, cluster(c.layout)).statuses);
      assert.deepEqual(got, c.want);
    });
  }

  it('a node without the topology label', () => {
    const snapshot = cluster({ extraNodes: [makeNode('n5')] });
    const pod = foo('p', { topologySpreadConstraints: [spread(ZONE)] });
    assert.equal(summarize(runFilter(new PodTopologySpread(), pod, snapshot).statuses).n5, MISSING);
  });

  it('a node seen without some of its pods (preemption) is judged without them', () => {
    const snapshot = cluster();
    const pod = foo('p', { topologySpreadConstraints: [spread(HOST, { maxSkew: 2 })] });
    const plugin = new PodTopologySpread();
    const state: CycleState = new Map();
    plugin.preFilter(state, pod, snapshot);
    const n1 = snapshot.get('n1')!;
    assert.equal(plugin.filter(state, pod, n1, snapshot).code, 'Unschedulable');
    assert.equal(
      plugin.filter(state, pod, { ...n1, pods: n1.pods.slice(1) }, snapshot).code,
      'Success',
    );
  });
});

describe('PodTopologySpread score', () => {
  const soft = (key: string) => spread(key, { whenUnsatisfiable: 'ScheduleAnyway' });
  const owned = (name: string) => makePod(name, { owner: 'rs1' });
  const ownedLayout: Layout = { pods: [[owned('a1'), owned('a2')], [owned('a3')], [], []] };
  const cases: { name: string; pod: KubeObject; layout?: Layout; want: Record<string, number> }[] =
    [
      {
        // raw: count * ln(4 + 2): 3.58 → 4, 1.79 → 2, 0, 0; normalized 100 * (4 + 0 - raw) / 4.
        name: 'hostname',
        pod: foo('p', { topologySpreadConstraints: [soft(HOST)] }),
        want: { n1: 0, n2: 50, n3: 100, n4: 100 },
      },
      {
        name: 'zone',
        pod: foo('p', { topologySpreadConstraints: [soft(ZONE)] }),
        want: { n1: 0, n2: 0, n3: 100, n4: 100 },
      },
      {
        name: 'explicit constraints ignore nodes without the key',
        pod: foo('p', { topologySpreadConstraints: [soft(ZONE)] }),
        layout: { extraNodes: [makeNode('n5')] },
        want: { n1: 0, n2: 0, n3: 100, n4: 100, n5: 0 },
      },
      { name: 'no constraints and no owner', pod: foo('p'), want: { n1: 0, n2: 0, n3: 0, n4: 0 } },
      {
        // zone (maxSkew 5, weight ln 4) + hostname (maxSkew 3, weight ln 6):
        // raw 13.74 → 14, 11.95 → 12, 6, 6; normalized 100 * (20 - raw) / 14.
        name: 'system default spreading of an owner’s pods',
        pod: owned('p'),
        layout: ownedLayout,
        want: { n1: 42, n2: 57, n3: 100, n4: 100 },
      },
      {
        // n5 has no zone: it still spreads by hostname, and '' counts as a zone domain.
        // raw 14.72 → 15, 12.77 → 13, 6, 6, 2; normalized 100 * (17 - raw) / 15.
        name: 'system defaults keep nodes without a zone label',
        pod: owned('p'),
        layout: { ...ownedLayout, extraNodes: [makeNode('n5')] },
        want: { n1: 13, n2: 26, n3: 73, n4: 73, n5: 100 },
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(runScore(new PodTopologySpread(), c.pod, cluster(c.layout)), c.want);
    });
  }
});
