// Workload controllers: apps/v1 kinds and the core ReplicationController.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, validateCreate, validateUpdate } from './index.ts';

type Spec = Record<string, unknown>;

const template = (labels: Record<string, string> | null = { app: 'web' }, spec: Spec = {}) => ({
  metadata: labels ? { labels } : {},
  spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
});

function workload(kind: string, spec: Spec, group = 'apps'): KubeObject {
  return {
    apiVersion: group ? `${group}/v1` : 'v1',
    kind,
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
  };
}

function errors(group: string, kind: string, obj: KubeObject): string[] {
  applyDefaults(group, 'v1', kind, obj);
  return validateCreate(group, 'v1', kind, obj, { namespaced: true }).map(errorString);
}

function updateErrors(
  group: string,
  kind: string,
  obj: KubeObject,
  mutate: (o: KubeObject) => void,
): string[] {
  applyDefaults(group, 'v1', kind, obj);
  obj.metadata!.resourceVersion = '1';
  const next = structuredClone(obj);
  mutate(next);
  applyDefaults(group, 'v1', kind, next);
  return validateUpdate(group, 'v1', kind, next, obj, { namespaced: true }).map(errorString);
}

const NOT_MATCH = '`selector` does not match template `labels`';

describe('Deployment', () => {
  const cases: [string, Spec, string[]][] = [
    ['a valid deployment', {}, []],
    [
      'no selector',
      { selector: undefined },
      [
        'spec.selector: Required value',
        `spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ${NOT_MATCH}`,
      ],
    ],
    [
      'a selector that misses the template',
      { selector: { matchLabels: { app: 'api' } } },
      [
        `spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ${NOT_MATCH}`,
      ],
    ],
    [
      'a template without labels',
      { template: template(null) },
      [`spec.template.metadata.labels: Invalid value: map[string]string(nil): ${NOT_MATCH}`],
    ],
    [
      'an empty selector',
      { selector: {} },
      [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      ],
    ],
    [
      'matchExpressions that select the template',
      { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } },
      [],
    ],
    [
      'a bad selector operator',
      { selector: { matchExpressions: [{ key: 'app', operator: 'Is' }] } },
      [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Is", Values:[]string(nil)}}}: invalid label selector',
      ],
    ],
    [
      'negative replicas',
      { replicas: -1 },
      ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'a template that does not restart',
      { template: template({ app: 'web' }, { restartPolicy: 'Never' }) },
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'a rollout that can never progress',
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } },
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
      ],
    ],
    [
      'more than 100% unavailable',
      { strategy: { rollingUpdate: { maxUnavailable: '120%' } } },
      [
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
      ],
    ],
    [
      'a bad percentage',
      { strategy: { rollingUpdate: { maxSurge: 'ten%' } } },
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"ten%\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      ],
    ],
    [
      'a progress deadline within minReadySeconds',
      { minReadySeconds: 700 },
      ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds'],
    ],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () =>
      assert.deepEqual(errors('apps', 'Deployment', workload('Deployment', spec)), want),
    );
  }

  it('keeps its selector on update', () => {
    const obj = workload('Deployment', {});
    assert.deepEqual(
      updateErrors('apps', 'Deployment', obj, (o) => ((o.spec as Spec).replicas = 3)),
      [],
    );
    assert.deepEqual(
      updateErrors('apps', 'Deployment', obj, (o) => {
        const spec = o.spec as { selector: Spec; template: { metadata: Spec } };
        spec.selector = { matchLabels: { app: 'api' } };
        spec.template.metadata.labels = { app: 'api' };
      }),
      [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"api"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ],
    );
  });
});

describe('ReplicaSet and DaemonSet', () => {
  it('accepts valid objects', () => {
    assert.deepEqual(errors('apps', 'ReplicaSet', workload('ReplicaSet', {})), []);
    assert.deepEqual(errors('apps', 'DaemonSet', workload('DaemonSet', {})), []);
  });
  it('refuses negative replicas', () => {
    assert.deepEqual(errors('apps', 'ReplicaSet', workload('ReplicaSet', { replicas: -2 })), [
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    ]);
  });
  it('refuses a DaemonSet that surges and is unavailable', () => {
    const ds = workload('DaemonSet', {
      updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
    });
    assert.deepEqual(errors('apps', 'DaemonSet', ds), [
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ]);
  });
  it('refuses a DaemonSet without selector', () => {
    assert.deepEqual(errors('apps', 'DaemonSet', workload('DaemonSet', { selector: undefined })), [
      `spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ${NOT_MATCH}`,
    ]);
  });
});

describe('StatefulSet', () => {
  const sts = (spec: Spec = {}) => workload('StatefulSet', { serviceName: 'web', ...spec });
  it('accepts a valid set', () => assert.deepEqual(errors('apps', 'StatefulSet', sts()), []));
  it('refuses an unknown pod management policy', () => {
    assert.deepEqual(errors('apps', 'StatefulSet', sts({ podManagementPolicy: 'Sometimes' })), [
      "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
    ]);
  });
  it('refuses a negative partition', () => {
    assert.deepEqual(
      errors(
        'apps',
        'StatefulSet',
        sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }),
      ),
      [
        'spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0',
      ],
    );
  });
  it('only lets some spec fields change', () => {
    assert.deepEqual(
      updateErrors('apps', 'StatefulSet', sts(), (o) => ((o.spec as Spec).replicas = 5)),
      [],
    );
    assert.deepEqual(
      updateErrors('apps', 'StatefulSet', sts(), (o) => ((o.spec as Spec).serviceName = 'other')),
      [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ],
    );
  });
});

describe('ReplicationController', () => {
  const rc = (spec: Spec): KubeObject => ({
    metadata: { name: 'rc', namespace: 'default' },
    spec: { template: template(), ...spec },
  });
  it('takes its selector from the template', () =>
    assert.deepEqual(errors('', 'ReplicationController', rc({})), []));
  it('needs a selector', () => {
    assert.deepEqual(errors('', 'ReplicationController', rc({ template: template(null) })), [
      'spec.selector: Required value',
    ]);
  });
  it('needs the template to match', () => {
    assert.deepEqual(errors('', 'ReplicationController', rc({ selector: { app: 'api' } })), [
      `spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: ${NOT_MATCH}`,
    ]);
  });
});

describe('ControllerRevision', () => {
  const cr = (extra: Record<string, unknown>): KubeObject => ({
    metadata: { name: 'web-1', namespace: 'default' },
    revision: 1,
    ...extra,
  });
  it('needs data', () => {
    assert.deepEqual(errors('apps', 'ControllerRevision', cr({ data: { spec: {} } })), []);
    assert.deepEqual(errors('apps', 'ControllerRevision', cr({})), [
      'data: Required value: data is mandatory',
    ]);
  });
  it('keeps its data', () => {
    const got = updateErrors(
      'apps',
      'ControllerRevision',
      cr({ data: { a: 1 } }),
      (o) => (o.data = { a: 2 }),
    );
    assert.deepEqual(got, ['data: Invalid value: runtime.RawExtension{...}: field is immutable']);
  });
});
