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

test('nodes', () => {
  const node: KubeObject = {
    metadata: md('cp-1', {
      labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/os': 'linux' },
    }),
    spec: {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'InternalIP', address: '192.168.1.10' },
        { type: 'Hostname', address: 'cp-1' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0',
        osImage: 'Ubuntu 24.04.1 LTS',
        kernelVersion: '6.8.0-45-generic',
        containerRuntimeVersion: 'containerd://1.7.22',
      },
    },
  };
  check('nodes', node, [
    'cp-1',
    'Ready',
    'control-plane',
    '60m',
    'v1.32.0',
    '192.168.1.10',
    '<none>',
    'Ubuntu 24.04.1 LTS',
    '6.8.0-45-generic',
    'containerd://1.7.22',
  ]);
  const cordoned: KubeObject = {
    metadata: md('w-1', {
      labels: {
        'node-role.kubernetes.io/worker': '',
        'node-role.kubernetes.io/gpu': '',
        'kubernetes.io/role': 'infra',
      },
    }),
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'Unknown' }],
      addresses: [{ type: 'ExternalIP', address: '203.0.113.4' }],
    },
  };
  check('nodes', cordoned, [
    'w-1',
    'NotReady,SchedulingDisabled',
    'gpu,infra,worker',
    '60m',
    '',
    '<none>',
    '203.0.113.4',
    '<unknown>',
    '<unknown>',
    '<unknown>',
  ]);
  check('nodes', { metadata: md('new'), spec: { unschedulable: true } }, [
    'new',
    'Unknown,SchedulingDisabled',
    '<none>',
    '60m',
    '',
    '<none>',
    '<none>',
    '<unknown>',
    '<unknown>',
    '<unknown>',
  ]);
});
