// Namespaces, ConfigMaps, Secrets, ServiceAccounts, Nodes, Events, quotas, limit ranges
// and volumes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, formatFieldErrors, validateCreate, validateUpdate } from './index.ts';

const CLUSTER = new Set(['Namespace', 'Node', 'PersistentVolume']);

function errors(kind: string, obj: KubeObject, group = ''): string[] {
  applyDefaults(group, 'v1', kind, obj);
  return validateCreate(group, 'v1', kind, obj, { namespaced: !CLUSTER.has(kind) }).map(
    errorString,
  );
}

function updateErrors(kind: string, old: KubeObject, mutate: (o: KubeObject) => void): string[] {
  applyDefaults('', 'v1', kind, old);
  old.metadata!.resourceVersion = '1';
  const next = structuredClone(old);
  mutate(next);
  return validateUpdate('', 'v1', kind, next, old, { namespaced: !CLUSTER.has(kind) }).map(
    errorString,
  );
}

const meta = (name = 'x') => ({ name, namespace: 'default' });
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Namespace', () => {
  it('accepts a DNS label and qualified finalizers', () => {
    assert.deepEqual(
      errors('Namespace', {
        metadata: { name: 'team-a' },
        spec: { finalizers: ['example.com/x'] },
      }),
      [],
    );
  });
  it('refuses an unqualified spec finalizer', () => {
    assert.deepEqual(
      errors('Namespace', { metadata: { name: 'team-a' }, spec: { finalizers: ['custom'] } }),
      [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      ],
    );
  });
});

describe('ConfigMap', () => {
  const CONFIG_KEY =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
  it('accepts valid keys', () => {
    assert.deepEqual(
      errors('ConfigMap', { metadata: meta(), data: { 'app.conf': 'x', KEY_1: 'y' } }),
      [],
    );
  });
  it('refuses bad and reserved keys', () => {
    assert.deepEqual(errors('ConfigMap', { metadata: meta(), data: { 'a/b': 'x', '..x': 'y' } }), [
      `data[..x]: Invalid value: "..x": must not start with '..'`,
      `data[a/b]: Invalid value: "a/b": ${CONFIG_KEY}`,
    ]);
  });
  it('refuses a key in both data and binaryData', () => {
    assert.deepEqual(
      errors('ConfigMap', { metadata: meta(), data: { a: 'x' }, binaryData: { a: b64('y') } }),
      ['data[a]: Invalid value: "a": duplicate of key present in binaryData'],
    );
  });
  it('refuses more than 1 MiB', () => {
    const obj = { metadata: meta(), data: { a: 'x'.repeat(1024 * 1024 + 1) } };
    assert.deepEqual(errors('ConfigMap', obj), ['[]: Too long: must have at most 1048576 bytes']);
    assert.equal(
      formatFieldErrors(
        'ConfigMap',
        'x',
        validateCreate('', 'v1', 'ConfigMap', obj, { namespaced: true }),
      ),
      'ConfigMap "x" is invalid: []: Too long: must have at most 1048576 bytes',
    );
  });
  it('freezes an immutable ConfigMap', () => {
    const old = { metadata: meta(), data: { a: 'x' }, immutable: true };
    assert.deepEqual(
      updateErrors('ConfigMap', old, (o) => (o.metadata!.labels = { a: 'b' })),
      [],
    );
    assert.deepEqual(
      updateErrors('ConfigMap', old, (o) => {
        o.data = { a: 'y' };
        o.immutable = false;
      }),
      [
        'immutable: Forbidden: field is immutable when `immutable` is set',
        'data: Forbidden: field is immutable when `immutable` is set',
      ],
    );
  });
});

describe('Secret', () => {
  it('accepts an Opaque secret', () =>
    assert.deepEqual(errors('Secret', { metadata: meta(), data: { a: b64('x') } }), []));
  it('needs tls.crt and tls.key for TLS', () => {
    assert.deepEqual(
      errors('Secret', {
        metadata: meta(),
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': b64('c') },
      }),
      ['data[tls.key]: Required value'],
    );
  });
  it('needs well-formed docker config JSON', () => {
    const ok = {
      metadata: meta(),
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64('{"auths":{}}') },
    };
    assert.deepEqual(errors('Secret', ok), []);
    assert.deepEqual(
      errors('Secret', { metadata: meta(), type: 'kubernetes.io/dockerconfigjson', data: {} }),
      ['data[.dockerconfigjson]: Required value'],
    );
  });
  it('needs the service account annotation for tokens', () => {
    assert.deepEqual(
      errors('Secret', { metadata: meta(), type: 'kubernetes.io/service-account-token' }),
      ['metadata.annotations[kubernetes.io/service-account.name]: Required value'],
    );
  });
  it('keeps its type and, when immutable, its data', () => {
    const old = { metadata: meta(), data: { a: b64('x') }, immutable: true };
    assert.deepEqual(
      updateErrors('Secret', old, (o) => {
        o.type = 'kubernetes.io/tls';
        o.data = { 'tls.crt': b64('c'), 'tls.key': b64('k') };
      }),
      [
        'type: Invalid value: "kubernetes.io/tls": field is immutable',
        'data: Forbidden: field is immutable when `immutable` is set',
      ],
    );
  });
});

describe('Node', () => {
  it('accepts taints and capacity', () => {
    const node = {
      metadata: { name: 'n1' },
      spec: {
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
        podCIDRs: ['10.244.0.0/24'],
      },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
    };
    assert.deepEqual(errors('Node', node), []);
  });
  it('refuses a taint without effect and a fractional pod capacity', () => {
    const node = {
      metadata: { name: 'n1' },
      spec: { taints: [{ key: 'a' }] },
      status: { capacity: { pods: '1.5' } },
    };
    assert.deepEqual(errors('Node', node), [
      'metadata.taints[0].effect: Required value',
      ...['capacity', 'allocatable'].map(
        (f) =>
          `status.${f}.pods: Invalid value: resource.Quantity{i:resource.int64Amount{value:15, scale:-1}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be an integer`,
      ),
    ]);
  });
  it('keeps its pod CIDRs', () => {
    const node = { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.0.0/24'] } };
    assert.deepEqual(
      updateErrors(
        'Node',
        node,
        (o) => ((o.spec as { podCIDRs: string[] }).podCIDRs = ['10.245.0.0/24']),
      ),
      ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
    );
  });
});

describe('Event', () => {
  const ev = (namespace: string, involved: string): KubeObject => ({
    metadata: { name: 'e', namespace },
    involvedObject: { kind: 'Pod', name: 'p', namespace: involved },
    reason: 'Started',
  });
  it('accepts an event in the object namespace', () =>
    assert.deepEqual(errors('Event', ev('a', 'a')), []));
  it('refuses a namespace mismatch', () => {
    assert.deepEqual(errors('Event', ev('a', 'b')), [
      'involvedObject.namespace: Invalid value: "b": does not match event.namespace',
    ]);
  });
  it('checks events.k8s.io events strictly', () => {
    const e = {
      metadata: { name: 'e', namespace: 'a' },
      regarding: { namespace: 'a' },
      type: 'Normal',
    };
    assert.deepEqual(errors('Event', e, 'events.k8s.io'), ['eventTime: Required value']);
  });
});

describe('ResourceQuota and LimitRange', () => {
  it('accepts standard quota resources', () => {
    assert.deepEqual(
      errors('ResourceQuota', {
        metadata: meta(),
        spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/deployments.apps': '5' } },
      }),
      [],
    );
  });
  it('refuses unknown quota resources', () => {
    assert.deepEqual(
      errors('ResourceQuota', { metadata: meta(), spec: { hard: { 'limits.pods': '1' } } }),
      [
        'spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource type or fully qualified',
        'spec.hard[limits.pods]: Invalid value: limits.pods: must be a standard resource for quota',
      ],
    );
  });
  it('orders limit range bounds', () => {
    const lr = (limit: Record<string, unknown>) => ({
      metadata: meta(),
      spec: { limits: [{ type: 'Container', ...limit }] },
    });
    assert.deepEqual(errors('LimitRange', lr({ max: { cpu: '2' }, min: { cpu: '100m' } })), []);
    assert.deepEqual(errors('LimitRange', lr({ max: { cpu: '1' }, min: { cpu: '2' } })), [
      'spec.limits[0].min[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: min value 2 is greater than default request value 1',
      'spec.limits[0].default[cpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:2, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: min value 2 is greater than default value 1',
    ]);
  });
});

describe('PersistentVolumeClaim and PersistentVolume', () => {
  const pvc = (spec: Record<string, unknown>): KubeObject => ({ metadata: meta('data'), spec });
  it('accepts a claim', () => {
    assert.deepEqual(
      errors(
        'PersistentVolumeClaim',
        pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }),
      ),
      [],
    );
  });
  it('needs access modes and a storage request', () => {
    assert.deepEqual(errors('PersistentVolumeClaim', pvc({})), [
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
  });
  it('refuses unknown access modes and a zero request', () => {
    assert.deepEqual(
      errors(
        'PersistentVolumeClaim',
        pvc({ accessModes: ['ReadWriteAlways'], resources: { requests: { storage: '0' } } }),
      ),
      [
        'spec.accessModes: Unsupported value: "ReadWriteAlways": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.resources[storage]: Invalid value: "0": must be greater than zero',
      ],
    );
  });
  it('needs a volume source for a PV', () => {
    const pv = {
      metadata: { name: 'pv1' },
      spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
    };
    assert.deepEqual(errors('PersistentVolume', pv), [
      'spec: Required value: must specify a volume type',
    ]);
    (pv.spec as Record<string, unknown>).hostPath = { path: '/data' };
    assert.deepEqual(errors('PersistentVolume', pv), []);
  });
});
