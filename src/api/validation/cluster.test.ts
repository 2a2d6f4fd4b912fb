// RBAC, networking, discovery, storage, scheduling, policy, autoscaling and coordination.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, validateCreate, validateUpdate } from './index.ts';

type O = Record<string, unknown>;

function errors(
  group: string,
  kind: string,
  obj: KubeObject,
  namespaced = true,
  version = 'v1',
): string[] {
  applyDefaults(group, version, kind, obj);
  return validateCreate(group, version, kind, obj, { namespaced }).map(errorString);
}

function updateErrors(
  group: string,
  kind: string,
  old: KubeObject,
  mutate: (o: KubeObject) => void,
  namespaced = true,
): string[] {
  applyDefaults(group, 'v1', kind, old);
  old.metadata!.resourceVersion = '1';
  const next = structuredClone(old);
  mutate(next);
  return validateUpdate(group, 'v1', kind, next, old, { namespaced }).map(errorString);
}

const RBAC = 'rbac.authorization.k8s.io';
const meta = (name = 'x') => ({ name, namespace: 'default' });

describe('RBAC', () => {
  it('checks rules', () => {
    const role = (rules: O[]) => ({ metadata: meta(), rules });
    assert.deepEqual(
      errors(RBAC, 'Role', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }])),
      [],
    );
    assert.deepEqual(
      errors(RBAC, 'Role', role([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }])),
      [
        'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
      ],
    );
    const cr = {
      metadata: { name: 'view' },
      rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }],
    };
    assert.deepEqual(errors(RBAC, 'ClusterRole', cr, false), []);
  });
  it('checks bindings', () => {
    const rb = (roleRef: O, subjects: O[]) => ({ metadata: meta(), roleRef, subjects });
    assert.deepEqual(
      errors(
        RBAC,
        'RoleBinding',
        rb({ kind: 'Role', name: 'r' }, [
          { kind: 'User', name: 'alice' },
          { kind: 'ServiceAccount', name: 'sa' },
        ]),
      ),
      [],
    );
    assert.deepEqual(
      errors(RBAC, 'RoleBinding', rb({ kind: 'Group', name: '' }, [{ kind: 'Robot', name: 'r2' }])),
      [
        'roleRef.kind: Unsupported value: "Group": supported values: "Role", "ClusterRole"',
        'roleRef.name: Required value',
        'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      ],
    );
    const crb = {
      metadata: { name: 'b' },
      roleRef: { kind: 'Role', name: 'r' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    };
    assert.deepEqual(errors(RBAC, 'ClusterRoleBinding', crb, false), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });
  it('keeps roleRef', () => {
    const rb = { metadata: meta(), roleRef: { kind: 'Role', name: 'r' }, subjects: [] };
    assert.deepEqual(
      updateErrors(RBAC, 'RoleBinding', rb, (o) => ((o.roleRef as O).name = 'other')),
      [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
      ],
    );
  });
});

describe('Ingress and IngressClass', () => {
  const NET = 'networking.k8s.io';
  const backend = { service: { name: 'web', port: { number: 80 } } };
  const ingress = (spec: O) => ({ metadata: meta('web'), spec });
  it('accepts rules and TLS', () => {
    const spec = {
      tls: [{ hosts: ['*.example.com'], secretName: 'tls' }],
      rules: [
        { host: 'www.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } },
      ],
    };
    assert.deepEqual(errors(NET, 'Ingress', ingress(spec)), []);
  });
  it('needs rules or a default backend', () => {
    assert.deepEqual(errors(NET, 'Ingress', ingress({})), [
      'spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
    ]);
  });
  it('checks hosts, paths and backends', () => {
    const spec = {
      rules: [
        { host: '10.0.0.1', http: { paths: [{ path: 'api', pathType: 'Exact', backend }] } },
        {
          http: {
            paths: [
              { path: '/', backend },
              { path: '/x', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } },
            ],
          },
        },
      ],
    };
    assert.deepEqual(errors(NET, 'Ingress', ingress(spec)), [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path',
      'spec.rules[1].http.paths[0].pathType: Required value: pathType must be specified',
      'spec.rules[1].http.paths[1].backend: Required value: port name or number is required',
    ]);
  });
  it('checks IngressClass controllers', () => {
    assert.deepEqual(
      errors(
        NET,
        'IngressClass',
        { metadata: { name: 'nginx' }, spec: { controller: 'example.com/ingress' } },
        false,
      ),
      [],
    );
    assert.deepEqual(
      errors(
        NET,
        'IngressClass',
        { metadata: { name: 'nginx' }, spec: { controller: 'nginx' } },
        false,
      ),
      [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      ],
    );
  });
});

describe('NetworkPolicy and EndpointSlice', () => {
  it('checks policy peers and ports', () => {
    const np = (spec: O) => ({ metadata: meta('np'), spec: { podSelector: {}, ...spec } });
    assert.deepEqual(
      errors(
        'networking.k8s.io',
        'NetworkPolicy',
        np({
          ingress: [
            {
              from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
              ports: [{ port: 80 }],
            },
          ],
        }),
      ),
      [],
    );
    assert.deepEqual(
      errors(
        'networking.k8s.io',
        'NetworkPolicy',
        np({ ingress: [{ from: [{}], ports: [{ port: 80, endPort: 70 }] }] }),
      ),
      [
        'spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`',
        'spec.ingress[0].from[0]: Required value: must specify a peer',
      ],
    );
    assert.deepEqual(
      errors(
        'networking.k8s.io',
        'NetworkPolicy',
        np({
          egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] } }] }],
        }),
      ),
      [
        'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
      ],
    );
  });
  it('checks EndpointSlice addresses against their type', () => {
    const es = (addressType: string, addresses: string[]) => ({
      metadata: meta('web-abc'),
      addressType,
      endpoints: [{ addresses }],
      ports: [{ name: 'http', port: 80 }],
    });
    assert.deepEqual(errors('discovery.k8s.io', 'EndpointSlice', es('IPv4', ['10.0.0.1'])), []);
    assert.deepEqual(errors('discovery.k8s.io', 'EndpointSlice', es('IPv4', ['fd00::1'])), [
      'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    ]);
    assert.deepEqual(errors('discovery.k8s.io', 'EndpointSlice', es('IPX', ['10.0.0.1'])), [
      'addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
  });
});

describe('StorageClass and PriorityClass', () => {
  it('checks storage classes', () => {
    const sc = (extra: O) => ({
      metadata: { name: 'fast' },
      provisioner: 'example.com/disk',
      ...extra,
    });
    assert.deepEqual(errors('storage.k8s.io', 'StorageClass', sc({}), false), []);
    assert.deepEqual(
      errors('storage.k8s.io', 'StorageClass', sc({ reclaimPolicy: 'Recycle' }), false),
      ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    );
    assert.deepEqual(
      updateErrors(
        'storage.k8s.io',
        'StorageClass',
        sc({ parameters: { a: '1' } }),
        (o) => (o.parameters = { a: '2' }),
        false,
      ),
      ['parameters: Forbidden: updates to parameters are forbidden.'],
    );
  });
  it('checks priority classes', () => {
    const pc = (name: string, value: number) => ({ metadata: { name }, value });
    assert.deepEqual(errors('scheduling.k8s.io', 'PriorityClass', pc('high', 1000), false), []);
    assert.deepEqual(errors('scheduling.k8s.io', 'PriorityClass', pc('high', 2000000000), false), [
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    assert.deepEqual(errors('scheduling.k8s.io', 'PriorityClass', pc('system-mine', 10), false), [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
    assert.deepEqual(
      updateErrors(
        'scheduling.k8s.io',
        'PriorityClass',
        pc('high', 10),
        (o) => (o.value = 20),
        false,
      ),
      ['value: Forbidden: may not be changed in an update.'],
    );
  });
});

describe('PodDisruptionBudget, HorizontalPodAutoscaler and Lease', () => {
  it('checks disruption budgets', () => {
    const pdb = (spec: O) => ({
      metadata: meta('pdb'),
      spec: { selector: { matchLabels: { app: 'a' } }, ...spec },
    });
    assert.deepEqual(errors('policy', 'PodDisruptionBudget', pdb({ minAvailable: '50%' })), []);
    assert.deepEqual(
      errors('policy', 'PodDisruptionBudget', pdb({ minAvailable: 1, maxUnavailable: 1 })),
      [
        'spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set',
      ],
    );
    assert.deepEqual(
      errors('policy', 'PodDisruptionBudget', {
        metadata: { name: 'a/b', namespace: 'd' },
        spec: {},
      }),
      ['metadata.name: Invalid value: "a/b": may not contain \'/\''],
    );
  });
  it('checks autoscalers', () => {
    const hpa = (spec: O) => ({
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        maxReplicas: 5,
        ...spec,
      },
    });
    assert.deepEqual(errors('autoscaling', 'HorizontalPodAutoscaler', hpa({}), true, 'v2'), []);
    assert.deepEqual(
      errors(
        'autoscaling',
        'HorizontalPodAutoscaler',
        hpa({ minReplicas: 0, maxReplicas: 0 }),
        true,
        'v2',
      ),
      [
        'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
        'spec.maxReplicas: Invalid value: 0: must be greater than 0',
      ],
    );
    assert.deepEqual(
      errors('autoscaling', 'HorizontalPodAutoscaler', hpa({ minReplicas: 6 }), true, 'v1'),
      ['spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`'],
    );
  });
  it('checks leases', () => {
    const lease = (spec: O) => ({ metadata: meta('node-1'), spec });
    assert.deepEqual(
      errors(
        'coordination.k8s.io',
        'Lease',
        lease({ holderIdentity: 'n1', leaseDurationSeconds: 40 }),
      ),
      [],
    );
    assert.deepEqual(errors('coordination.k8s.io', 'Lease', lease({ leaseDurationSeconds: 0 })), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });
});
