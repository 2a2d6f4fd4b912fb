import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KubeObject } from '../types.ts';
import { defaultPrinter, humanDuration, printerFor } from './index.ts';

const resources: Array<[group: string, resource: string]> = [
  ['', 'pods'],
  ['', 'namespaces'],
  ['', 'nodes'],
  ['', 'services'],
  ['', 'endpoints'],
  ['', 'configmaps'],
  ['', 'secrets'],
  ['', 'events'],
  ['', 'replicationcontrollers'],
  ['', 'serviceaccounts'],
  ['', 'resourcequotas'],
  ['', 'limitranges'],
  ['', 'persistentvolumeclaims'],
  ['', 'persistentvolumes'],
  ['', 'podtemplates'],
  ['apps', 'deployments'],
  ['apps', 'replicasets'],
  ['apps', 'statefulsets'],
  ['apps', 'daemonsets'],
  ['apps', 'controllerrevisions'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
  ['autoscaling', 'horizontalpodautoscalers'],
  ['policy', 'poddisruptionbudgets'],
  ['discovery.k8s.io', 'endpointslices'],
  ['coordination.k8s.io', 'leases'],
  ['events.k8s.io', 'events'],
  ['networking.k8s.io', 'ingresses'],
  ['networking.k8s.io', 'ingressclasses'],
  ['networking.k8s.io', 'networkpolicies'],
  ['rbac.authorization.k8s.io', 'roles'],
  ['rbac.authorization.k8s.io', 'rolebindings'],
  ['rbac.authorization.k8s.io', 'clusterroles'],
  ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  ['scheduling.k8s.io', 'priorityclasses'],
  ['storage.k8s.io', 'storageclasses'],
];

// Objects a user could half-write: wrong types everywhere a printer looks.
const malformed: KubeObject[] = [
  {},
  { metadata: {} },
  { metadata: { name: 7, labels: 'x', annotations: null, ownerReferences: [null, 3] } as never },
  {
    metadata: { name: 'x', creationTimestamp: 'not a time', deletionTimestamp: 'also not' },
    spec: 'nope',
    status: [1, 2],
    data: 'x',
    subsets: [null, { addresses: 'a', ports: [null] }],
  },
  {
    metadata: { name: 'y' },
    spec: {
      containers: null,
      initContainers: [null, 'x'],
      template: [],
      selector: { matchLabels: [], matchExpressions: [null, { key: 3, values: 'x' }] },
      ports: [null, { port: 'eighty' }],
      metrics: [
        null,
        { type: 'Resource' },
        { type: 'Pods' },
        { type: 'External' },
        { type: 'Object' },
      ],
      rules: [null],
      capacity: { storage: {} },
      jobTemplate: 7,
    },
    status: {
      conditions: [null, 'Ready'],
      containerStatuses: [null, { state: { terminated: null, waiting: 'x' } }],
      initContainerStatuses: [
        { state: { terminated: {} }, lastState: { terminated: { finishedAt: 5 } } },
      ],
      podIPs: [null],
      hard: { cpu: null },
      currentMetrics: 'x',
      loadBalancer: { ingress: 'x' },
    },
    involvedObject: 'x',
    series: [],
    endpoints: [{ addresses: [1, null] }],
  },
];

const now = new Date('2025-01-15T12:00:00Z');

for (const [group, resource] of resources) {
  const name = `${group || 'core'}/${resource}`;
  test(`${name}: one cell per column, never throws`, () => {
    const printer = printerFor(group, resource);
    for (const obj of malformed) {
      const cells = printer.cells(obj, now);
      assert.equal(cells.length, printer.columns.length, JSON.stringify(obj));
      for (const cell of cells)
        assert.ok(['string', 'number', 'boolean'].includes(typeof cell), `${cell}`);
    }
  });

  test(`${name}: columns are well-formed`, () => {
    const printer = printerFor(group, resource);
    const names = printer.columns.filter((c) => c.format === 'name').map((c) => c.name);
    assert.deepEqual(names, ['Name']);
    for (const c of printer.columns) {
      assert.ok(c.description.length > 0, c.name);
      assert.ok(c.priority === 0 || c.priority === 1, c.name);
    }
  });
}

test('unknown resources fall back to the default printer', () => {
  assert.equal(printerFor('example.com', 'widgets'), defaultPrinter);
  assert.equal(printerFor('', 'limitranges'), defaultPrinter);
});

test('autoscaling v1 and v2 share one printer', () => {
  assert.equal(printerFor('autoscaling', 'horizontalpodautoscalers').columns.length, 7);
});

test('humanDuration is exported', () => {
  assert.equal(humanDuration(200_000), '3m20s');
});
