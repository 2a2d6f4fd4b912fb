import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  daemonPodTemplate,
  nodeShouldRunDaemonPod,
  replaceNodeNameAffinity,
  targetNodeName,
  withDaemonTolerations,
} from './placement.ts';
import {
  daemonSet,
  node,
  pod,
  templateSpec,
  type DaemonSetOptions,
  type NodeOptions,
} from './test-support.ts';

// NodeShouldRunDaemonPod as a table: what the template asks for, what the node offers,
// and whether a new pod should go there and an existing one may stay.

const cases: {
  name: string;
  ds?: DaemonSetOptions;
  node?: NodeOptions;
  run: boolean;
  stay: boolean;
}[] = [
  { name: 'no constraints', run: true, stay: true },
  {
    name: 'nodeSelector matches',
    ds: { nodeSelector: { role: 'edge' } },
    node: { labels: { role: 'edge', zone: 'a' } },
    run: true,
    stay: true,
  },
  {
    name: 'nodeSelector does not match',
    ds: { nodeSelector: { role: 'edge' } },
    node: { labels: { role: 'core' } },
    run: false,
    stay: false,
  },
  {
    name: 'untolerated NoSchedule taint: no new pod, but a running one stays',
    node: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    run: false,
    stay: true,
  },
  {
    name: 'tolerated NoSchedule taint',
    ds: {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
    },
    node: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    run: true,
    stay: true,
  },
  {
    name: 'untolerated NoExecute taint evicts',
    node: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] },
    run: false,
    stay: false,
  },
  {
    name: 'tolerated NoExecute taint (Exists)',
    ds: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] },
    node: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] },
    run: true,
    stay: true,
  },
  {
    name: 'PreferNoSchedule is no obstacle',
    node: { taints: [{ key: 'dedicated', effect: 'PreferNoSchedule' }] },
    run: true,
    stay: true,
  },
  {
    name: 'cordoned node (daemon toleration)',
    node: { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
    run: true,
    stay: true,
  },
  {
    name: 'not-ready NoExecute (daemon toleration)',
    node: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] },
    run: true,
    stay: true,
  },
  {
    name: 'unreachable NoSchedule is not among the daemon tolerations',
    node: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }] },
    run: false,
    stay: true,
  },
  {
    name: 'memory, disk and pid pressure (daemon tolerations)',
    node: {
      taints: ['memory', 'disk', 'pid'].map((p) => ({
        key: `node.kubernetes.io/${p}-pressure`,
        effect: 'NoSchedule',
      })),
    },
    run: true,
    stay: true,
  },
  {
    name: 'network-unavailable without hostNetwork',
    node: { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] },
    run: false,
    stay: true,
  },
  {
    name: 'network-unavailable with hostNetwork',
    ds: { hostNetwork: true },
    node: { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] },
    run: true,
    stay: true,
  },
];

describe('nodeShouldRunDaemonPod', () => {
  for (const c of cases) {
    it(c.name, () => {
      const placement = nodeShouldRunDaemonPod(node('n1', c.node), daemonSet('ds', c.ds));
      assert.deepEqual(placement, { shouldRun: c.run, shouldContinueRunning: c.stay });
    });
  }

  it('honours required node affinity, including matchFields on the name', () => {
    const ds = daemonSet('ds');
    templateSpec(ds).affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
          ],
        },
      },
    };
    const run = (n: string, labels = {}) =>
      nodeShouldRunDaemonPod(node(n, { labels }), ds).shouldRun;
    assert.equal(run('n1', { zone: 'a' }), true);
    assert.equal(run('n1', { zone: 'b' }), false);
    assert.equal(run('special'), true);
  });

  it('runs only on the node a template names in spec.nodeName', () => {
    const ds = daemonSet('ds');
    templateSpec(ds).nodeName = 'n2';
    assert.equal(nodeShouldRunDaemonPod(node('n1'), ds).shouldRun, false);
    assert.equal(nodeShouldRunDaemonPod(node('n2'), ds).shouldRun, true);
  });
});

describe('daemon pod templates', () => {
  it('adds the daemon tolerations, replacing a matching one and keeping the others', () => {
    const mine = [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 60,
      },
      { key: 'dedicated', operator: 'Exists' },
    ];
    assert.deepEqual(withDaemonTolerations(mine), [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'dedicated', operator: 'Exists' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.equal(withDaemonTolerations([], true).length, 7, 'network-unavailable for hostNetwork');
  });

  it('labels the template with the hash and, if the DaemonSet has one, the generation', () => {
    const template = { metadata: { labels: { app: 'x' } }, spec: {} };
    const t = daemonPodTemplate(template, 'abc', '3');
    assert.deepEqual(t.metadata?.labels, {
      app: 'x',
      'controller-revision-hash': 'abc',
      'pod-template-generation': '3',
    });
    assert.deepEqual(template.metadata.labels, { app: 'x' }, 'the template is not mutated');
  });

  it('replaces required node affinity by the node name and keeps the rest', () => {
    const preferred = [{ weight: 1, preference: { matchExpressions: [] } }];
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
      },
    };
    assert.deepEqual(replaceNodeNameAffinity(affinity, 'n7'), {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
      },
    });
  });

  it('finds the node a pod is bound to or meant for', () => {
    const ds = daemonSet('ds');
    assert.equal(targetNodeName(pod('a', ds, { node: 'n1' })), 'n1');
    assert.equal(targetNodeName(pod('b', ds, { target: 'n2' })), 'n2');
    assert.equal(targetNodeName({ spec: {} }), undefined);
  });
});
