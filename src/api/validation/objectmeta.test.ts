// ObjectMeta rules, checked through whole objects as the API server sees them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, formatFieldErrors, validateCreate, validateUpdate } from './index.ts';

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME_NAME =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function errors(group: string, kind: string, obj: KubeObject, namespaced = true): string[] {
  applyDefaults(group, 'v1', kind, obj);
  return validateCreate(group, 'v1', kind, obj, { namespaced }).map(errorString);
}

const cm = (metadata: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'default', ...metadata },
});

describe('metadata on create', () => {
  const cases: [string, KubeObject, string[]][] = [
    ['a valid name', cm({ name: 'my.config-1' }), []],
    ['a missing name', cm({}), ['metadata.name: Required value: name or generateName is required']],
    [
      'a bad subdomain name',
      cm({ name: 'Foo_1' }),
      [`metadata.name: Invalid value: "Foo_1": ${SUBDOMAIN}`],
    ],
    [
      'an over-long name',
      cm({ name: 'a'.repeat(254) }),
      [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`],
    ],
    ['a generateName ending in a dash', cm({ generateName: 'web-', name: 'web-x1b2c' }), []],
    [
      'a bad generateName',
      cm({ generateName: 'Web-', name: 'web-abcde' }),
      [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN}`],
    ],
    ['a missing namespace', { metadata: { name: 'x' } }, ['metadata.namespace: Required value']],
    [
      'a bad namespace',
      cm({ name: 'x', namespace: 'a.b' }),
      [`metadata.namespace: Invalid value: "a.b": ${LABEL}`],
    ],
    ['good labels', cm({ name: 'x', labels: { 'example.com/app': 'web', tier: '' } }), []],
    [
      'a bad label key',
      cm({ name: 'x', labels: { 'bad key': 'v' } }),
      [`metadata.labels: Invalid value: "bad key": ${QNAME_NAME}`],
    ],
    [
      'a label key with a bad prefix',
      cm({ name: 'x', labels: { 'Ex.com/a': 'v' } }),
      [`metadata.labels: Invalid value: "Ex.com/a": prefix part ${SUBDOMAIN}`],
    ],
    [
      'a label key with two slashes',
      cm({ name: 'x', labels: { 'a/b/c': 'v' } }),
      [
        "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    ],
    [
      'a label value too long',
      cm({ name: 'x', labels: { a: 'v'.repeat(64) } }),
      [`metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`],
    ],
    [
      'a bad label value',
      cm({ name: 'x', labels: { a: '-v' } }),
      [`metadata.labels: Invalid value: "-v": ${LABEL_VALUE}`],
    ],
    ['mixed-case annotation keys', cm({ name: 'x', annotations: { 'Example.COM/Note': 'x' } }), []],
    [
      'annotations over 256 KiB',
      cm({ name: 'x', annotations: { a: 'x'.repeat(256 * 1024) } }),
      ['metadata.annotations: Too long: must have at most 262144 bytes'],
    ],
    [
      'a negative generation',
      cm({ name: 'x', generation: -1 }),
      ['metadata.generation: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'qualified finalizers',
      cm({ name: 'x', finalizers: ['example.com/cleanup', 'kubernetes'] }),
      [],
    ],
    [
      'an unqualified finalizer',
      cm({ name: 'x', finalizers: ['cleanup'] }),
      [
        'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
      ],
    ],
    [
      'conflicting deletion finalizers',
      cm({ name: 'x', finalizers: ['orphan', 'foregroundDeletion'] }),
      [
        'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    ],
    [
      'a complete owner reference',
      cm({
        name: 'x',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
        ],
      }),
      [],
    ],
    [
      'an owner reference missing its parts',
      cm({ name: 'x', ownerReferences: [{ apiVersion: 'apps/', kind: '', name: '', uid: '' }] }),
      [
        'metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
      ],
    ],
  ];
  for (const [name, obj, want] of cases) {
    it(name, () => assert.deepEqual(errors('', 'ConfigMap', obj), want));
  }

  it('allows at most one controller reference', () => {
    const refs = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
    ];
    const got = errors('', 'ConfigMap', cm({ name: 'x', ownerReferences: refs }));
    assert.equal(got.length, 1);
    assert.match(
      got[0],
      /^metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{.*\}: Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/,
    );
  });

  it('uses the name rule of each kind', () => {
    const ns = { metadata: { name: 'my.ns' } };
    assert.deepEqual(errors('', 'Namespace', ns, false), [
      `metadata.name: Invalid value: "my.ns": ${LABEL}`,
    ]);
    const svc = { metadata: { name: '1svc', namespace: 'd' }, spec: { ports: [{ port: 80 }] } };
    assert.deepEqual(errors('', 'Service', svc), [
      `metadata.name: Invalid value: "1svc": ${DNS1035}`,
    ]);
    const sts = { metadata: { name: 'a.b', namespace: 'd' } };
    assert.ok(
      errors('apps', 'StatefulSet', sts).includes(`metadata.name: Invalid value: "a.b": ${LABEL}`),
    );
    const role = (name: string) => ({ metadata: { name, namespace: 'd' }, rules: [] });
    assert.deepEqual(errors('rbac.authorization.k8s.io', 'Role', role('system:Admin_1')), []);
    assert.deepEqual(errors('rbac.authorization.k8s.io', 'Role', role('a/b%c')), [
      'metadata.name: Invalid value: "a/b%c": may not contain \'/\'',
      'metadata.name: Invalid value: "a/b%c": may not contain \'%\'',
    ]);
    assert.deepEqual(errors('rbac.authorization.k8s.io', 'Role', role('..')), [
      'metadata.name: Invalid value: "..": may not be \'..\'',
    ]);
  });

  it('forbids a namespace on cluster-scoped kinds', () => {
    const node = { metadata: { name: 'n1', namespace: 'default' } };
    assert.deepEqual(errors('', 'Node', node, false), [
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('validates custom resources with the generic rules', () => {
    const cr = { metadata: { name: 'Bad', namespace: 'd' } };
    assert.deepEqual(errors('example.com', 'Widget', cr), [
      `metadata.name: Invalid value: "Bad": ${SUBDOMAIN}`,
    ]);
  });
});

describe('metadata on update', () => {
  const base = (): KubeObject => ({
    metadata: {
      name: 'x',
      namespace: 'default',
      uid: 'u1',
      resourceVersion: '5',
      generation: 2,
      creationTimestamp: '2024-01-02T03:04:05Z',
    },
    data: {},
  });
  const update = (mutate: (o: KubeObject) => void, old = base()) => {
    const o = structuredClone(old);
    mutate(o);
    return validateUpdate('', 'v1', 'ConfigMap', o, old, { namespaced: true }).map(errorString);
  };

  it('accepts an unchanged identity', () =>
    assert.deepEqual(
      update(() => {}),
      [],
    ));
  it('keeps name, namespace, uid and creationTimestamp', () => {
    assert.deepEqual(
      update((o) => {
        o.metadata!.name = 'y';
        o.metadata!.namespace = 'other';
        o.metadata!.uid = 'u2';
        o.metadata!.creationTimestamp = '2025-01-01T00:00:00Z';
      }),
      [
        'metadata.name: Invalid value: "y": field is immutable',
        'metadata.namespace: Invalid value: "other": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
        'metadata.creationTimestamp: Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable',
      ],
    );
  });
  it('requires a resourceVersion', () => {
    assert.deepEqual(
      update((o) => delete o.metadata!.resourceVersion),
      ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    );
  });
  it('refuses a decremented generation', () => {
    assert.deepEqual(
      update((o) => (o.metadata!.generation = 1)),
      ['metadata.generation: Invalid value: 1: must not be decremented'],
    );
  });
  it('refuses new finalizers while deleting', () => {
    const old = base();
    old.metadata!.deletionTimestamp = '2024-02-02T00:00:00Z';
    old.metadata!.finalizers = ['example.com/a'];
    assert.deepEqual(
      update((o) => (o.metadata!.finalizers = ['example.com/a', 'example.com/b']), old),
      [
        'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}',
      ],
    );
  });
});

describe('formatFieldErrors', () => {
  it('qualifies non-core kinds and lists several errors', () => {
    const dep = {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    };
    applyDefaults('apps', 'v1', 'Deployment', dep);
    const errs = validateCreate('apps', 'v1', 'Deployment', dep, { namespaced: true });
    assert.equal(
      formatFieldErrors('Deployment.apps', 'web', errs),
      'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`]',
    );
    assert.equal(
      formatFieldErrors('Deployment', 'web', errs),
      formatFieldErrors('Deployment.apps', 'web', errs),
    );
  });

  it('prints one error without brackets and drops repeats', () => {
    const e = { type: 'FieldValueRequired' as const, field: 'spec.x' };
    assert.equal(
      formatFieldErrors('Pod', 'p', [e, e]),
      'Pod "p" is invalid: spec.x: Required value',
    );
    assert.equal(formatFieldErrors('Pod', 'p', []), 'Pod "p" is invalid');
  });
});
