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

test('persistentvolumes and claims', () => {
  const pv: KubeObject = {
    metadata: md('pv-1'),
    spec: {
      capacity: { storage: '10240Mi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      claimRef: { namespace: 'default', name: 'data' },
    },
    status: { phase: 'Bound' },
  };
  check('persistentvolumes', pv, [
    'pv-1',
    '10Gi',
    'RWO',
    'Delete',
    'Bound',
    'default/data',
    'standard',
    '<unset>',
    '',
    '60m',
    'Filesystem',
  ]);
  const released: KubeObject = {
    metadata: md('pv-2', {
      annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' },
      deletionTimestamp: ago(5),
    }),
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteMany', 'ReadOnlyMany'],
      volumeAttributesClassName: 'gold',
    },
    status: { phase: 'Failed', reason: 'VolumeFailedRecycle' },
  };
  check('persistentvolumes', released, [
    'pv-2',
    '1Gi',
    'ROX,RWX',
    'Retain',
    'Terminating',
    '',
    'slow',
    'gold',
    'VolumeFailedRecycle',
    '60m',
    'Filesystem',
  ]);

  const bound: KubeObject = {
    metadata: md('data'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'standard',
      volumeName: 'pv-1',
      volumeMode: 'Block',
    },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
  };
  check('persistentvolumeclaims', bound, [
    'data',
    'Bound',
    'pv-1',
    '10Gi',
    'RWO',
    'standard',
    '<unset>',
    '60m',
    'Block',
  ]);
  const pending: KubeObject = {
    metadata: md('cache'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Pending' },
  };
  check('persistentvolumeclaims', pending, [
    'cache',
    'Pending',
    '',
    '',
    '',
    '',
    '<unset>',
    '60m',
    'Filesystem',
  ]);
});
