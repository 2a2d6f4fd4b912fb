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

const podTemplate = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx/exporter:1.1' },
    ],
  },
};

function check(group: string, resource: string, obj: KubeObject, want: unknown[]) {
  assert.deepEqual(printerFor(group, resource).cells(obj, now), want);
}

test('deployments', () => {
  const deploy: KubeObject = {
    metadata: md('web'),
    spec: {
      replicas: 3,
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'api'] }],
      },
      template: podTemplate,
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  check('apps', 'deployments', deploy, [
    'web',
    '2/3',
    3,
    2,
    '60m',
    'nginx,exporter',
    'nginx:1.27,nginx/exporter:1.1',
    'app=web,tier in (api,front)',
  ]);
  // A fresh deployment: no status yet, replicas defaulted to 1, empty selector prints as ''.
  check('apps', 'deployments', { metadata: md('new'), spec: { selector: {} } }, [
    'new',
    '0/1',
    0,
    0,
    '60m',
    '',
    '',
    '',
  ]);
  check(
    'apps',
    'deployments',
    {
      metadata: md('bad'),
      spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Nope' }] } },
    },
    ['bad', '0/1', 0, 0, '60m', '', '', '<invalid>'],
  );
});

test('replicasets, statefulsets and daemonsets', () => {
  check(
    'apps',
    'replicasets',
    {
      metadata: md('web-7d4b9c8f6d'),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c8f6d' } },
        template: podTemplate,
      },
      status: { replicas: 3, readyReplicas: 3, availableReplicas: 3 },
    },
    [
      'web-7d4b9c8f6d',
      3,
      3,
      3,
      '60m',
      'nginx,exporter',
      'nginx:1.27,nginx/exporter:1.1',
      'app=web,pod-template-hash=7d4b9c8f6d',
    ],
  );
  check(
    'apps',
    'statefulsets',
    {
      metadata: md('db'),
      spec: { replicas: 3, template: podTemplate },
      status: { replicas: 2, readyReplicas: 1 },
    },
    ['db', '1/3', '60m', 'nginx,exporter', 'nginx:1.27,nginx/exporter:1.1'],
  );
  check(
    'apps',
    'daemonsets',
    {
      metadata: md('fluentd'),
      spec: {
        selector: { matchLabels: { name: 'fluentd' } },
        template: {
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [{ name: 'fluentd', image: 'fluentd:v1.17' }],
          },
        },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    },
    [
      'fluentd',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '60m',
      'fluentd',
      'fluentd:v1.17',
      'name=fluentd',
    ],
  );
});

test('controllerrevisions', () => {
  const owned = (apiVersion: string, kind: string) => ({
    metadata: md('web-6b7c', {
      ownerReferences: [{ apiVersion, kind, name: 'web', uid: 'u', controller: true }],
    }),
    revision: 2,
  });
  check('apps', 'controllerrevisions', owned('apps/v1', 'StatefulSet'), [
    'web-6b7c',
    'statefulset.apps/web',
    2,
    '60m',
  ]);
  check('apps', 'controllerrevisions', owned('v1', 'Pod'), ['web-6b7c', 'pod/web', 2, '60m']);
  check('apps', 'controllerrevisions', { metadata: md('orphan'), revision: 1 }, [
    'orphan',
    '<none>',
    1,
    '60m',
  ]);
});

test('jobs', () => {
  const job = (spec: object, status: object, extra: object = {}): KubeObject => ({
    metadata: md('pi', extra),
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'c0ffee' } },
      template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } },
      ...spec,
    },
    status,
  });
  const wideCells = ['pi', 'perl:5.34', 'batch.kubernetes.io/controller-uid=c0ffee'];
  const complete = job(
    { completions: 1, parallelism: 1 },
    {
      succeeded: 1,
      startTime: ago(600),
      completionTime: ago(558),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    },
  );
  check('batch', 'jobs', complete, ['pi', 'Complete', '1/1', '42s', '60m', ...wideCells]);
  check(
    'batch',
    'jobs',
    job({ completions: 5, parallelism: 2 }, { active: 2, succeeded: 1, startTime: ago(200) }),
    ['pi', 'Running', '1/5', '3m20s', '60m', ...wideCells],
  );
  check('batch', 'jobs', job({ parallelism: 3 }, { active: 3, startTime: ago(30) }), [
    'pi',
    'Running',
    '0/1 of 3',
    '30s',
    '60m',
    ...wideCells,
  ]);
  check(
    'batch',
    'jobs',
    job({ completions: 1, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] }),
    ['pi', 'Suspended', '0/1', '', '60m', ...wideCells],
  );
  check(
    'batch',
    'jobs',
    job(
      { completions: 1 },
      {
        failed: 7,
        startTime: ago(7200),
        completionTime: ago(3600),
        conditions: [
          { type: 'FailureTarget', status: 'True' },
          { type: 'Failed', status: 'True' },
        ],
      },
    ),
    ['pi', 'Failed', '0/1', '60m', '60m', ...wideCells],
  );
  check(
    'batch',
    'jobs',
    job(
      { completions: 1 },
      { failed: 1, startTime: ago(60), conditions: [{ type: 'FailureTarget', status: 'True' }] },
    ),
    ['pi', 'FailureTarget', '0/1', '60s', '60m', ...wideCells],
  );
  // 1.32 has no SuccessCriteriaMet status: the job still reads Running until Complete.
  check(
    'batch',
    'jobs',
    job(
      { completions: 3 },
      {
        succeeded: 1,
        startTime: ago(60),
        conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }],
      },
    ),
    ['pi', 'Running', '1/3', '60s', '60m', ...wideCells],
  );
  check(
    'batch',
    'jobs',
    job({ completions: 1 }, { startTime: ago(60) }, { deletionTimestamp: ago(1) }),
    ['pi', 'Terminating', '0/1', '60s', '60m', ...wideCells],
  );
});

test('cronjobs', () => {
  const cron: KubeObject = {
    metadata: md('backup'),
    spec: {
      schedule: '*/5 * * * *',
      suspend: false,
      jobTemplate: {
        spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic:0.17' }] } } },
      },
    },
    status: { active: [{ kind: 'Job', name: 'backup-28950000' }], lastScheduleTime: ago(240) },
  };
  check('batch', 'cronjobs', cron, [
    'backup',
    '*/5 * * * *',
    '<none>',
    'False',
    1,
    '4m',
    '60m',
    'backup',
    'restic:0.17',
    '<none>',
  ]);
  check(
    'batch',
    'cronjobs',
    {
      metadata: md('nightly'),
      spec: { schedule: '0 3 * * *', timeZone: 'Europe/Paris', suspend: true },
    },
    ['nightly', '0 3 * * *', 'Europe/Paris', 'True', 0, '<none>', '60m', '', '', '<none>'],
  );
});

test('workload columns', () => {
  const shape = (group: string, resource: string) =>
    printerFor(group, resource).columns.map(
      (c) => `${c.name}:${c.type}${c.priority ? ':wide' : ''}`,
    );
  assert.deepEqual(shape('apps', 'deployments'), [
    'Name:string',
    'Ready:string',
    'Up-to-date:string',
    'Available:string',
    'Age:string',
    'Containers:string:wide',
    'Images:string:wide',
    'Selector:string:wide',
  ]);
  assert.deepEqual(shape('apps', 'statefulsets'), [
    'Name:string',
    'Ready:string',
    'Age:string',
    'Containers:string:wide',
    'Images:string:wide',
  ]);
  assert.deepEqual(shape('batch', 'jobs'), [
    'Name:string',
    'Status:string',
    'Completions:string',
    'Duration:string',
    'Age:string',
    'Containers:string:wide',
    'Images:string:wide',
    'Selector:string:wide',
  ]);
  assert.deepEqual(shape('batch', 'cronjobs'), [
    'Name:string',
    'Schedule:string',
    'Timezone:string',
    'Suspend:boolean',
    'Active:integer',
    'Last Schedule:string',
    'Age:string',
    'Containers:string:wide',
    'Images:string:wide',
    'Selector:string:wide',
  ]);
});
