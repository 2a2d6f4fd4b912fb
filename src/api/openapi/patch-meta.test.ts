import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupField, patchMetaFor } from './patch-meta.ts';
import type { PatchMeta } from './types.ts';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const POD = 'io.k8s.api.core.v1.Pod';

const cases: [string, string, PatchMeta | undefined][] = [
  [
    DEPLOYMENT,
    'spec.template.spec.containers',
    { strategies: ['merge'], mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.initContainers',
    { strategies: ['merge'], mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.volumes',
    {
      strategies: ['merge', 'retainKeys'],
      mergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.containers.ports',
    {
      strategies: ['merge'],
      mergeKey: 'containerPort',
      listType: 'map',
      listMapKeys: ['containerPort', 'protocol'],
    },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.containers.env',
    { strategies: ['merge'], mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.containers.volumeMounts',
    { strategies: ['merge'], mergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
  ],
  [
    DEPLOYMENT,
    'spec.template.spec.containers.args',
    { strategies: ['replace'], listType: 'atomic' },
  ],
  [DEPLOYMENT, 'spec.template.spec.tolerations', { strategies: ['replace'], listType: 'atomic' }],
  [
    DEPLOYMENT,
    'spec.template.spec.imagePullSecrets',
    { strategies: ['merge'], mergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  ],
  [DEPLOYMENT, 'spec.strategy', { strategies: ['retainKeys'] }],
  [DEPLOYMENT, 'spec.replicas', { strategies: ['replace'] }],
  [DEPLOYMENT, 'spec.template.metadata.labels', { strategies: ['merge'] }],
  [DEPLOYMENT, 'metadata.finalizers', { strategies: ['merge'], listType: 'set' }],
  [
    DEPLOYMENT,
    'metadata.ownerReferences',
    { strategies: ['merge'], mergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
  ],
  [
    DEPLOYMENT,
    'status.conditions',
    { strategies: ['merge'], mergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  ],
  [
    POD,
    'spec.topologySpreadConstraints',
    {
      strategies: ['merge'],
      mergeKey: 'topologyKey',
      listType: 'map',
      listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
    },
  ],
  [
    POD,
    'status.podIPs',
    { strategies: ['merge'], mergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
  ],
  [
    'io.k8s.api.core.v1.Service',
    'spec.ports',
    { strategies: ['merge'], mergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
  ],
  [
    'io.k8s.api.batch.v1.Job',
    'status.conditions',
    { strategies: ['merge'], mergeKey: 'type', listType: 'atomic' },
  ],
  [DEPLOYMENT, 'spec.bogus', undefined],
  ['io.k8s.api.nope.v1.Nothing', 'spec', undefined],
];

for (const [definition, path, want] of cases) {
  test(`patchMetaFor ${definition.split('.').at(-1)} ${path}`, () => {
    assert.deepEqual(patchMetaFor(definition, path.split('.')), want);
  });
}

test('lookupField steps through lists and maps and names the value definition', () => {
  const ports = lookupField(DEPLOYMENT, ['spec', 'template', 'spec', 'containers', 'ports']);
  assert.equal(ports?.definition, 'io.k8s.api.core.v1.ContainerPort');
  assert.equal(ports?.value.type, 'array');
  const label = lookupField(DEPLOYMENT, ['metadata', 'labels', 'app']);
  assert.equal(label?.value.type, 'string');
  assert.equal(lookupField(DEPLOYMENT, [])?.definition, DEPLOYMENT);
});
