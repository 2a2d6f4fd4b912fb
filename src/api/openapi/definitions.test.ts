import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FIELD_FACTS } from './facts.ts';
import { definitionForKind, loadDefinitions, refName } from './definitions.ts';
import type { Schema } from './types.ts';

const definitions = loadDefinitions();

describe('definitionForKind', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['', 'v1', 'Pod', 'io.k8s.api.core.v1.Pod'],
    ['', 'v1', 'PodList', 'io.k8s.api.core.v1.PodList'],
    ['', 'v1', 'Event', 'io.k8s.api.core.v1.Event'],
    ['', 'v1', 'Binding', 'io.k8s.api.core.v1.Binding'],
    ['', 'v1', 'Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status'],
    ['apps', 'v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['events.k8s.io', 'v1', 'Event', 'io.k8s.api.events.v1.Event'],
    ['autoscaling', 'v1', 'Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    [
      'autoscaling',
      'v2',
      'HorizontalPodAutoscaler',
      'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
    ],
    ['policy', 'v1', 'Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['authentication.k8s.io', 'v1', 'TokenRequest', 'io.k8s.api.authentication.v1.TokenRequest'],
    ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'io.k8s.api.rbac.v1.ClusterRole'],
    ['coordination.k8s.io', 'v1', 'Lease', 'io.k8s.api.coordination.v1.Lease'],
    [
      'apiextensions.k8s.io',
      'v1',
      'CustomResourceDefinition',
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    ],
    [
      'apiregistration.k8s.io',
      'v1',
      'APIService',
      'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
    ],
    ['apps', 'v1', 'Pod', undefined],
    ['example.com', 'v1', 'Widget', undefined],
  ];
  for (const [group, version, kind, expected] of cases) {
    test(`${group || 'core'}/${version} ${kind}`, () => {
      assert.equal(definitionForKind(group, version, kind), expected);
    });
  }
});

describe('loadDefinitions', () => {
  test('names the types other kinds embed after their own package', () => {
    for (const name of [
      'io.k8s.api.core.v1.PodTemplateSpec',
      'io.k8s.api.core.v1.TopologySelectorTerm',
      'io.k8s.api.core.v1.EndpointPort',
      'io.k8s.api.discovery.v1.EndpointPort',
      'io.k8s.api.batch.v1.JobTemplateSpec',
      'io.k8s.api.authentication.v1.BoundObjectReference',
      'io.k8s.api.autoscaling.v1.ScaleSpec',
      'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.version.Info',
    ]) {
      assert.ok(definitions[name], name);
    }
  });

  test('is Kubernetes 1.32: pod-level resources exist, 1.33+ fields do not', () => {
    const podSpec = definitions['io.k8s.api.core.v1.PodSpec'].properties!;
    assert.ok(podSpec.resources);
    assert.equal(podSpec.hostnameOverride, undefined);
    assert.equal(
      definitions['io.k8s.api.core.v1.PodStatus'].properties!.observedGeneration,
      undefined,
    );
  });

  test('carries descriptions, required fields and group/version/kinds', () => {
    const deployment = definitions['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    assert.match(deployment.description!, /Deployment enables declarative updates/);
    const spec = definitions['io.k8s.api.apps.v1.DeploymentSpec'];
    assert.match(spec.properties!.template.description!, /^Template describes the pods/);
    assert.deepEqual(spec.required, ['selector', 'template']);
    const container = definitions['io.k8s.api.core.v1.Container'].properties!;
    assert.match(container.image.description!, /Container image name/);
    assert.match(container.livenessProbe.description!, /Periodic probe of container liveness/);
  });

  test('maps the client types back to OpenAPI types', () => {
    const p = (name: string, field: string): Schema =>
      definitions[`io.k8s.${name}`].properties![field];
    assert.deepEqual(p('api.apps.v1.DeploymentSpec', 'replicas').type, 'integer');
    assert.equal(p('api.apps.v1.RollingUpdateDeployment', 'maxSurge').format, 'int-or-string');
    assert.equal(
      p('apimachinery.pkg.apis.meta.v1.ObjectMeta', 'creationTimestamp').format,
      'date-time',
    );
    assert.equal(p('apimachinery.pkg.apis.meta.v1.ListMeta', 'continue').type, 'string');
    assert.equal(p('api.core.v1.Secret', 'data').additionalProperties && 'object', 'object');
    const fieldsV1 = p('apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry', 'fieldsV1');
    assert.equal(fieldsV1['x-kubernetes-preserve-unknown-fields'], true);
    const schemaProps = 'apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';
    assert.ok(p(schemaProps, '$ref'));
    assert.ok(p(schemaProps, 'x-kubernetes-preserve-unknown-fields'));
  });

  test('every $ref names a definition', () => {
    const visit = (schema: Schema, where: string): void => {
      const name = refName(schema);
      if (name) assert.ok(definitions[name], `${where} → ${name}`);
      for (const [field, property] of Object.entries(schema.properties ?? {})) {
        visit(property, `${where}.${field}`);
      }
      if (schema.items) visit(schema.items, `${where}[]`);
      if (typeof schema.additionalProperties === 'object') {
        visit(schema.additionalProperties, `${where}{}`);
      }
    };
    for (const [name, schema] of Object.entries(definitions)) visit(schema, name);
  });

  test('every patch/list fact names an existing definition and field', () => {
    for (const [definition, field] of FIELD_FACTS) {
      const schema = definitions[`io.k8s.${definition}`];
      assert.ok(schema, definition);
      if (field !== '') assert.ok(schema.properties?.[field], `${definition}#${field}`);
    }
  });

  test('is frozen and cached', () => {
    assert.equal(loadDefinitions(), definitions);
    assert.ok(Object.isFrozen(definitions['io.k8s.api.core.v1.Pod'].properties));
  });
});
