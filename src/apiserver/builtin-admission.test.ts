import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRegistry, type KubeObject } from '../api/index.ts';
import { builtinAdmission, newBuiltinAdmission } from './builtin-admission.ts';

// The DefaultTolerationSeconds part of the built-in admission, as a table in the manner of
// Kubernetes' plugin/pkg/admission/defaulttolerationseconds tests.

const registry = builtinRegistry();
const POD = registry.byKind('', 'v1', 'Pod')!;

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const notReady300 = {
  key: NOT_READY,
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: 300,
};
const unreachable300 = {
  key: UNREACHABLE,
  operator: 'Exists',
  effect: 'NoExecute',
  tolerationSeconds: 300,
};

function admit(tolerations: object[] | undefined, admission = builtinAdmission): object[] {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'busybox' }],
      ...(tolerations ? { tolerations } : {}),
    },
  };
  admission.applyDefaults(POD, pod);
  return (pod.spec as { tolerations: object[] }).tolerations;
}

describe('DefaultTolerationSeconds admission', () => {
  const cases: [string, object[] | undefined, object[]][] = [
    ['no tolerations: both added', undefined, [notReady300, unreachable300]],
    [
      'other tolerations are kept, the defaults appended',
      [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }],
      [
        { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' },
        notReady300,
        unreachable300,
      ],
    ],
    [
      'a not-ready NoExecute toleration is kept as it is',
      [{ key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
      [
        { key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
        unreachable300,
      ],
    ],
    [
      'an unreachable toleration with no effect tolerates NoExecute too',
      [{ key: UNREACHABLE, operator: 'Exists' }],
      [{ key: UNREACHABLE, operator: 'Exists' }, notReady300],
    ],
    [
      'a NoSchedule toleration of the same key does not count',
      [{ key: NOT_READY, operator: 'Exists', effect: 'NoSchedule' }],
      [{ key: NOT_READY, operator: 'Exists', effect: 'NoSchedule' }, notReady300, unreachable300],
    ],
    [
      'an empty key with NoExecute tolerates both',
      [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 700 }],
      [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 700 }],
    ],
    ['tolerate everything', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
    [
      'both given forever: nothing added',
      [
        { key: NOT_READY, operator: 'Exists', effect: 'NoExecute' },
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
      ],
      [
        { key: NOT_READY, operator: 'Exists', effect: 'NoExecute' },
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
      ],
    ],
  ];
  for (const [name, given, want] of cases) {
    it(name, () => assert.deepEqual(admit(given), want));
  }

  it('takes the configured seconds', () => {
    const admission = newBuiltinAdmission({
      defaultTolerationSeconds: { notReadySeconds: 30, unreachableSeconds: 45 },
    });
    assert.deepEqual(admit(undefined, admission), [
      { ...notReady300, tolerationSeconds: 30 },
      { ...unreachable300, tolerationSeconds: 45 },
    ]);
  });

  it('is idempotent, as defaulting on every update needs', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [] } };
    builtinAdmission.applyDefaults(POD, pod);
    const once = structuredClone(pod);
    builtinAdmission.applyDefaults(POD, pod);
    assert.deepEqual(pod, once);
  });

  it('leaves pod templates of other kinds alone', () => {
    const type = registry.byKind('apps', 'v1', 'Deployment')!;
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    builtinAdmission.applyDefaults(type, deployment);
    const template = (deployment.spec as { template: { spec: { tolerations?: unknown } } })
      .template;
    assert.equal(template.spec.tolerations, undefined);
  });
});
