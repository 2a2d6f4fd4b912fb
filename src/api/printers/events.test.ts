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

test('core events', () => {
  const event: KubeObject = {
    metadata: md('web-0.17a9b2c3d4e5f6a7'),
    involvedObject: {
      kind: 'Pod',
      name: 'web-0',
      namespace: 'default',
      fieldPath: 'spec.containers{app}',
    },
    reason: 'Pulling',
    message: ' Pulling image "nginx:1.27" ',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(120),
    count: 3,
    type: 'Normal',
  };
  check('events', event, [
    '2m',
    'Normal',
    'Pulling',
    'pod/web-0',
    'spec.containers{app}',
    'kubelet, node-1',
    'Pulling image "nginx:1.27"',
    '10m',
    3,
    'web-0.17a9b2c3d4e5f6a7',
  ]);
  const series: KubeObject = {
    metadata: md('sched'),
    involvedObject: { kind: 'Node' },
    reason: 'FailedScheduling',
    message: '0/1 nodes are available',
    eventTime: '2025-01-15T11:50:00.000000Z',
    series: { count: 7, lastObservedTime: '2025-01-15T11:59:15.123456Z' },
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
    type: 'Warning',
  };
  check('events', series, [
    '44s',
    'Warning',
    'FailedScheduling',
    'node',
    '',
    'default-scheduler, default-scheduler-cp-1',
    '0/1 nodes are available',
    '10m',
    7,
    'sched',
  ]);
});

test('events.k8s.io events print like core events', () => {
  const event: KubeObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: md('web.181'),
    eventTime: '2025-01-15T11:59:30.000000Z',
    reportingController: 'deployment-controller',
    reportingInstance: '',
    action: 'ScalingReplicaSet',
    reason: 'ScalingReplicaSet',
    regarding: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' },
    note: 'Scaled up replica set web-7d4b9c8f6d from 0 to 3',
    type: 'Normal',
  };
  assert.deepEqual(printerFor('events.k8s.io', 'events').cells(event, now), [
    '30s',
    'Normal',
    'ScalingReplicaSet',
    'deployment/web',
    '',
    'deployment-controller',
    'Scaled up replica set web-7d4b9c8f6d from 0 to 3',
    '30s',
    1,
    'web.181',
  ]);
  assert.deepEqual(printerFor('events.k8s.io', 'events').columns, printerFor('', 'events').columns);
});
