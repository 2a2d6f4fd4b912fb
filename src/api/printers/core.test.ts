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

function check(resource: string, obj: KubeObject, want: unknown[]) {
  assert.deepEqual(printerFor('', resource).cells(obj, now), want);
}

test('namespaces', () => {
  check('namespaces', { metadata: md('kube-system'), status: { phase: 'Active' } }, [
    'kube-system',
    'Active',
    '60m',
  ]);
  check('namespaces', { metadata: md('old'), status: { phase: 'Terminating' } }, [
    'old',
    'Terminating',
    '60m',
  ]);
});

test('configmaps and secrets', () => {
  check(
    'configmaps',
    { metadata: md('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } },
    ['cfg', 3, '60m'],
  );
  check(
    'secrets',
    { metadata: md('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } },
    ['tls', 'kubernetes.io/tls', 2, '60m'],
  );
  check('secrets', { metadata: md('s'), stringData: { password: 'p' }, data: { user: 'dQ==' } }, [
    's',
    'Opaque',
    2,
    '60m',
  ]);
});

test('serviceaccounts (1.32 still prints SECRETS)', () => {
  check('serviceaccounts', { metadata: md('default') }, ['default', 0, '60m']);
  check('serviceaccounts', { metadata: md('builder'), secrets: [{ name: 'builder-token' }] }, [
    'builder',
    1,
    '60m',
  ]);
  assert.deepEqual(
    printerFor('', 'serviceaccounts').columns.map((c) => c.name),
    ['Name', 'Secrets', 'Age'],
  );
});

test('endpoints', () => {
  check('endpoints', { metadata: md('none') }, ['none', '<none>', '60m']);
  check(
    'endpoints',
    {
      metadata: md('web'),
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
        {
          addresses: [{ ip: 'fd00::1' }],
          ports: [
            { name: 'http', port: 80 },
            { name: 'https', port: 443 },
          ],
        },
      ],
    },
    ['web', '10.0.0.1:8080,10.0.0.2:8080,[fd00::1]:80 + 1 more...', '60m'],
  );
  check('endpoints', { metadata: md('headless'), subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }, [
    'headless',
    '10.0.0.9',
    '60m',
  ]);
});

test('replicationcontrollers and podtemplates', () => {
  const template = {
    metadata: { labels: { app: 'legacy' } },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'log', image: 'busybox' },
      ],
    },
  };
  check(
    'replicationcontrollers',
    {
      metadata: md('legacy'),
      spec: { replicas: 3, template },
      status: { replicas: 3, readyReplicas: 2 },
    },
    ['legacy', 3, 3, 2, '60m', 'web,log', 'nginx:1.27,busybox', 'app=legacy'],
  );
  check('podtemplates', { metadata: md('tmpl'), template }, [
    'tmpl',
    'web,log',
    'nginx:1.27,busybox',
    'app=legacy',
  ]);
});

test('resourcequotas (1.32 column order: Name, Age, Request, Limit)', () => {
  const quota: KubeObject = {
    metadata: md('compute'),
    status: {
      hard: {
        cpu: '2',
        memory: '2Gi',
        'limits.cpu': '4',
        'limits.memory': '4Gi',
        pods: '10',
        'requests.storage': '10Gi',
      },
      used: {
        cpu: '500m',
        memory: '1024Mi',
        'limits.cpu': '1',
        'limits.memory': '512Mi',
        pods: '3',
      },
    },
  };
  check('resourcequotas', quota, [
    'compute',
    '60m',
    'cpu: 500m/2, memory: 1Gi/2Gi, pods: 3/10, requests.storage: 0/10Gi',
    'limits.cpu: 1/4, limits.memory: 512Mi/4Gi',
  ]);
  assert.deepEqual(
    printerFor('', 'resourcequotas').columns.map((c) => c.name),
    ['Name', 'Age', 'Request', 'Limit'],
  );
});

test('limitranges use the default table', () => {
  const printer = printerFor('', 'limitranges');
  assert.deepEqual(
    printer.columns.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  assert.deepEqual(printer.cells({ metadata: md('limits') }, now), [
    'limits',
    '2025-01-15T11:00:00Z',
  ]);
});
