import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { BUILTIN_RESOURCES } from '../../api/builtin.ts';
import { changedLeaves, recordUpdate } from './managed-fields.ts';
import { fieldSetOf, fieldsV1Of, toFieldsV1 } from './field-set.ts';
import { listLookup } from './meta.ts';

const podType = BUILTIN_RESOURCES.find((t) => t.group === '' && t.kind === 'Pod')!;
const lookup = listLookup(podType);

const pod = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'main', image: 'busybox', ports: [{ containerPort: 80, protocol: 'TCP' }] },
    ],
  },
});

const owned = (entries: ReturnType<typeof recordUpdate>, manager: string) =>
  entries.find((e) => e.manager === manager)?.fieldsV1;

describe('the FieldsV1 of a whole object', () => {
  it('is in one walk what the field set gives, byte for byte', () => {
    const rich: Record<string, unknown> = {
      metadata: {
        labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
        finalizers: ['b.example.com/x', 'a.example.com/y'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }],
        annotations: {},
      },
      spec: {
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }],
        containers: [
          {
            name: 'web',
            image: 'nginx',
            args: ['-g', 'daemon off;'],
            env: [
              { name: 'B', value: '1' },
              { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'B', value: 'again' },
            ],
            ports: [
              { containerPort: 80, protocol: 'TCP' },
              { containerPort: 53, protocol: 'UDP', name: 'dns' },
            ],
            resources: { requests: { cpu: '100m' } },
          },
          { name: 'side', image: 'busybox', command: ['sleep', '1'] },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
        nodeSelector: { disk: 'ssd' },
        dropped: undefined,
      },
    };
    const want = JSON.stringify(toFieldsV1(fieldSetOf(rich, lookup)));
    assert.equal(JSON.stringify(fieldsV1Of(rich, lookup)), want);
    assert.ok(want.includes('"k:{\\"name\\":\\"B\\"}"'), want);
  });
});

describe('managed fields of non-apply writes', () => {
  it('gives the creator every field it set, list items by their keys', () => {
    const entries = recordUpdate(undefined, pod(), 'kubectl', lookup, '2026-01-01T00:00:00Z');
    assert.deepEqual(owned(entries, 'kubectl'), {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"main"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': {
              'k:{"containerPort":80,"protocol":"TCP"}': {
                '.': {},
                'f:containerPort': {},
                'f:protocol': {},
              },
            },
          },
        },
      },
    });
  });

  it('moves a changed field to the updater and leaves the rest with its owner', () => {
    const before = pod();
    before.metadata!.managedFields = recordUpdate(undefined, before, 'kubectl', lookup, 't0');
    const after = structuredClone(before);
    (after.spec as { nodeName?: string }).nodeName = 'node-1';
    (after.spec as { containers: { image: string }[] }).containers[0]!.image = 'busybox:2';
    const entries = recordUpdate(before, after, 'scheduler', lookup, 't1');
    assert.deepEqual(owned(entries, 'scheduler'), {
      'f:spec': {
        'f:containers': { 'k:{"name":"main"}': { 'f:image': {} } },
        'f:nodeName': {},
      },
    });
    const kubectl = JSON.stringify(owned(entries, 'kubectl'));
    assert.ok(!kubectl.includes('f:image'), 'the image moved away from kubectl');
    assert.ok(kubectl.includes('f:containerPort'), 'the port stays with kubectl');
  });

  it('finds only the leaves whose values differ', () => {
    const a = pod();
    const b = structuredClone(a);
    (b.metadata!.labels as Record<string, string>).app = 'api';
    assert.deepEqual(changedLeaves(fieldSetOf(b, lookup), a, b), [
      ['f:metadata', 'f:labels', 'f:app'],
    ]);
    assert.deepEqual(changedLeaves(fieldSetOf(a, lookup), a, structuredClone(a)), []);
  });
});
