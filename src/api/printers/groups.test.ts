import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KubeObject } from '../types.ts';
import { printerFor } from './index.ts';

const now = new Date('2025-01-15T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const md = (name: string, extra: object = {}) => ({
  name,
  namespace: 'default',
  creationTimestamp: ago(3600),
  ...extra,
});

function check(group: string, resource: string, obj: KubeObject, want: unknown[]) {
  assert.deepEqual(printerFor(group, resource).cells(obj, now), want);
}

const cpuTarget = (percent: number) => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } },
});

test('horizontalpodautoscalers, v2 shape', () => {
  const hpa: KubeObject = {
    apiVersion: 'autoscaling/v2',
    metadata: md('web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        cpuTarget(50),
        {
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
        },
      ],
    },
    status: {
      currentReplicas: 3,
      desiredReplicas: 3,
      currentMetrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: 23, averageValue: '115m' } },
        },
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '307200Ki' } } },
      ],
    },
  };
  check('autoscaling', 'horizontalpodautoscalers', hpa, [
    'web',
    'Deployment/web',
    'cpu: 23%/50%, memory: 300Mi/512Mi',
    '2',
    10,
    3,
    '60m',
  ]);

  const many: KubeObject = {
    metadata: md('queue'),
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'worker' },
      maxReplicas: 20,
      metrics: [
        {
          type: 'External',
          external: {
            metric: { name: 'queue_depth' },
            target: { type: 'AverageValue', averageValue: '30' },
          },
        },
        {
          type: 'Pods',
          pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '1k' } },
        },
        {
          type: 'Object',
          object: { metric: { name: 'hits' }, target: { type: 'Value', value: '10k' } },
        },
      ],
    },
    status: {
      currentReplicas: 4,
      currentMetrics: [{ type: 'External', external: { current: { averageValue: '12' } } }],
    },
  };
  check('autoscaling', 'horizontalpodautoscalers', many, [
    'queue',
    'Deployment/worker',
    '12/30 (avg), <unknown>/1k + 1 more...',
    '1',
    20,
    4,
    '60m',
  ]);

  const containerRes: KubeObject = {
    metadata: md('c'),
    spec: {
      scaleTargetRef: { kind: 'StatefulSet', name: 'db' },
      minReplicas: 1,
      maxReplicas: 3,
      metrics: [
        {
          type: 'ContainerResource',
          containerResource: {
            name: 'cpu',
            container: 'db',
            target: { type: 'Utilization', averageUtilization: 70 },
          },
        },
      ],
    },
  };
  check('autoscaling', 'horizontalpodautoscalers', containerRes, [
    'c',
    'StatefulSet/db',
    'cpu: <unknown>/70%',
    '1',
    3,
    0,
    '60m',
  ]);
});

test('horizontalpodautoscalers, v1 shape', () => {
  const v1: KubeObject = {
    apiVersion: 'autoscaling/v1',
    metadata: md('web'),
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 80,
    },
    status: { currentReplicas: 2, desiredReplicas: 2, currentCPUUtilizationPercentage: 12 },
  };
  check('autoscaling', 'horizontalpodautoscalers', v1, [
    'web',
    'Deployment/web',
    'cpu: 12%/80%',
    '1',
    5,
    2,
    '60m',
  ]);
  // No target at all: the API server defaults to 80% CPU.
  const bare: KubeObject = {
    metadata: md('bare'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 4 },
  };
  check('autoscaling', 'horizontalpodautoscalers', bare, [
    'bare',
    'Deployment/x',
    'cpu: <unknown>/80%',
    '1',
    4,
    0,
    '60m',
  ]);
});

test('poddisruptionbudgets', () => {
  check(
    'policy',
    'poddisruptionbudgets',
    { metadata: md('web'), spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } },
    ['web', '2', 'N/A', 1, '60m'],
  );
  check('policy', 'poddisruptionbudgets', { metadata: md('db'), spec: { maxUnavailable: '25%' } }, [
    'db',
    'N/A',
    '25%',
    0,
    '60m',
  ]);
});

test('endpointslices', () => {
  const slice: KubeObject = {
    metadata: md('web-abc12'),
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics' }, {}],
    endpoints: [
      { addresses: ['10.244.1.4'] },
      { addresses: ['10.244.1.5'] },
      { addresses: ['10.244.2.3', '10.244.2.4'] },
    ],
  };
  check('discovery.k8s.io', 'endpointslices', slice, [
    'web-abc12',
    'IPv4',
    '8080,metrics,*',
    '10.244.1.4,10.244.1.5,10.244.2.3 + 1 more...',
    '60m',
  ]);
  check('discovery.k8s.io', 'endpointslices', { metadata: md('empty'), addressType: 'IPv6' }, [
    'empty',
    'IPv6',
    '<unset>',
    '<unset>',
    '60m',
  ]);
});

test('leases', () => {
  check(
    'coordination.k8s.io',
    'leases',
    { metadata: md('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } },
    ['node-1', 'node-1', '60m'],
  );
  check('coordination.k8s.io', 'leases', { metadata: md('free'), spec: {} }, ['free', '', '60m']);
});

test('ingresses, ingressclasses and networkpolicies', () => {
  const ingress: KubeObject = {
    metadata: md('web'),
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
      rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }],
    },
    status: {
      loadBalancer: {
        ingress: [
          { ip: '203.0.113.9' },
          { hostname: 'a-very-long-load-balancer-name.example.com' },
        ],
      },
    },
  };
  check('networking.k8s.io', 'ingresses', ingress, [
    'web',
    'nginx',
    'a.example.com,b.example.com',
    '203.0.113.9,a-very-long-load-balancer-name.example.com',
    '80, 443',
    '60m',
  ]);
  const many: KubeObject = {
    metadata: md('many'),
    spec: { rules: [{ host: 'a' }, {}, { host: 'b' }, { host: 'c' }, { host: 'd' }] },
  };
  check('networking.k8s.io', 'ingresses', many, [
    'many',
    '<none>',
    'a,b,c + 2 more...',
    '',
    '80',
    '60m',
  ]);
  check(
    'networking.k8s.io',
    'ingresses',
    { metadata: md('catchall'), spec: { defaultBackend: {} } },
    ['catchall', '<none>', '*', '', '80', '60m'],
  );

  check(
    'networking.k8s.io',
    'ingressclasses',
    {
      metadata: md('nginx'),
      spec: {
        controller: 'k8s.io/ingress-nginx',
        parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' },
      },
    },
    ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/external-lb', '60m'],
  );
  check(
    'networking.k8s.io',
    'ingressclasses',
    { metadata: md('plain'), spec: { controller: 'example.com/ic' } },
    ['plain', 'example.com/ic', '<none>', '60m'],
  );

  check(
    'networking.k8s.io',
    'networkpolicies',
    { metadata: md('db'), spec: { podSelector: { matchLabels: { role: 'db' } } } },
    ['db', 'role=db', '60m'],
  );
  check(
    'networking.k8s.io',
    'networkpolicies',
    { metadata: md('deny-all'), spec: { podSelector: {} } },
    ['deny-all', '<none>', '60m'],
  );
});

test('rbac', () => {
  const binding: KubeObject = {
    metadata: md('devs-view'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'User', name: 'bob' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'builder', namespace: 'ci' },
    ],
  };
  check('rbac.authorization.k8s.io', 'rolebindings', binding, [
    'devs-view',
    'ClusterRole/view',
    '60m',
    'alice, bob',
    'devs',
    'ci/builder',
  ]);
  check(
    'rbac.authorization.k8s.io',
    'clusterrolebindings',
    { metadata: md('admin'), roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } },
    ['admin', 'ClusterRole/cluster-admin', '60m', '', '', ''],
  );
  for (const resource of ['roles', 'clusterroles']) {
    const printer = printerFor('rbac.authorization.k8s.io', resource);
    assert.deepEqual(
      printer.columns.map((c) => c.name),
      ['Name', 'Created At'],
    );
    assert.deepEqual(printer.cells({ metadata: md('reader') }, now), [
      'reader',
      '2025-01-15T11:00:00Z',
    ]);
  }
});

test('priorityclasses', () => {
  check(
    'scheduling.k8s.io',
    'priorityclasses',
    {
      metadata: md('system-node-critical'),
      value: 2000001000,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    ['system-node-critical', 2000001000, false, '60m', 'PreemptLowerPriority'],
  );
  check(
    'scheduling.k8s.io',
    'priorityclasses',
    { metadata: md('batch-low'), value: -10, globalDefault: true, preemptionPolicy: 'Never' },
    ['batch-low', -10, true, '60m', 'Never'],
  );
  assert.deepEqual(
    printerFor('scheduling.k8s.io', 'priorityclasses').columns.map((c) => [
      c.name,
      c.type,
      c.priority,
    ]),
    [
      ['Name', 'string', 0],
      ['Value', 'integer', 0],
      ['Global-Default', 'boolean', 0],
      ['Age', 'string', 0],
      ['PreemptionPolicy', 'string', 0],
    ],
  );
});

test('storageclasses', () => {
  check(
    'storage.k8s.io',
    'storageclasses',
    {
      metadata: md('standard', {
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      }),
      provisioner: 'rancher.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    ['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60m'],
  );
  check(
    'storage.k8s.io',
    'storageclasses',
    {
      metadata: md('fast'),
      provisioner: 'ebs.csi.aws.com',
      reclaimPolicy: 'Retain',
      allowVolumeExpansion: true,
    },
    ['fast', 'ebs.csi.aws.com', 'Retain', 'Immediate', true, '60m'],
  );
});
