import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildOpenApiV3Document,
  buildOpenApiV3Index,
  openApiV3PathOf,
  serializeDocument,
} from './document.ts';
import type { ResourceInfo } from './types.ts';

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const resource = (kind: string, plural: string, extra: Partial<ResourceInfo> = {}) => ({
  kind,
  plural,
  namespaced: true,
  verbs: ALL_VERBS,
  subresources: [],
  ...extra,
});

type Doc = {
  paths: Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  components: { schemas: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

const apps = buildOpenApiV3Document({ group: 'apps', version: 'v1' }, [
  resource('Deployment', 'deployments', { subresources: ['status', 'scale'] }),
]) as unknown as Doc;
const core = buildOpenApiV3Document({ group: '', version: 'v1' }, [
  resource('Pod', 'pods', { subresources: ['status', 'log', 'exec', 'eviction', 'binding'] }),
  resource('Namespace', 'namespaces', { namespaced: false }),
  resource('ComponentStatus', 'componentstatuses', { namespaced: false, verbs: ['get', 'list'] }),
]) as unknown as Doc;

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref') found.push(child as string);
      else refs(child, found);
    }
  }
  return found;
}

describe('buildOpenApiV3Document', () => {
  test('serves collection, item, all-namespaces and subresource paths', () => {
    assert.deepEqual(Object.keys(apps.paths).sort(), [
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status',
    ]);
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']);
    assert.ok(core.paths['/api/v1/namespaces/{name}']);
    assert.equal(core.paths['/api/v1/componentstatuses/{name}'].patch, undefined);
  });

  const patchCases: [Doc, string, object][] = [
    [
      apps,
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ],
    [
      apps,
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status',
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ],
    [
      apps,
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    ],
    [core, '/api/v1/namespaces/{namespace}/pods/{name}', { group: '', version: 'v1', kind: 'Pod' }],
    [core, '/api/v1/namespaces/{name}', { group: '', version: 'v1', kind: 'Namespace' }],
  ];
  for (const [doc, path, gvk] of patchCases) {
    test(`PATCH ${path} has fieldValidation and its group/version/kind`, () => {
      const patch = doc.paths[path].patch;
      assert.equal(patch['x-kubernetes-action'], 'patch');
      assert.deepEqual(patch['x-kubernetes-group-version-kind'], gvk);
      assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
      assert.ok(patch.requestBody.content['application/strategic-merge-patch+json']);
    });
  }

  test('operations carry upstream ids and actions', () => {
    const collection = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
    assert.equal(collection.get.operationId, 'listAppsV1NamespacedDeployment');
    assert.equal(collection.post['x-kubernetes-action'], 'post');
    assert.equal(collection.delete['x-kubernetes-action'], 'deletecollection');
    const all = apps.paths['/apis/apps/v1/deployments'].get;
    assert.equal(all.operationId, 'listAppsV1DeploymentForAllNamespaces');
    const evict = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post;
    assert.deepEqual(evict['x-kubernetes-group-version-kind'], {
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
    assert.equal(
      core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get['x-kubernetes-action'],
      'connect',
    );
  });

  test('every $ref resolves inside components.schemas', () => {
    for (const doc of [apps, core]) {
      for (const ref of refs(doc)) {
        assert.match(ref, /^#\/components\/schemas\//);
        assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref);
      }
    }
  });

  test('schemas reach every field kubectl explain walks', () => {
    const schemas = apps.components.schemas;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    for (const name of [
      'io.k8s.api.apps.v1.DeploymentSpec',
      'io.k8s.api.core.v1.PodTemplateSpec',
      'io.k8s.api.core.v1.PodSpec',
      'io.k8s.api.core.v1.Container',
      'io.k8s.api.core.v1.ContainerPort',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
      'io.k8s.api.autoscaling.v1.Scale',
    ]) {
      assert.ok(schemas[name], name);
    }
    const containers = schemas['io.k8s.api.core.v1.PodSpec'].properties.containers;
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.match(containers.description, /List of containers belonging to the pod/);
    // A $ref with siblings becomes allOf, as OpenAPI 3.0 ignores a $ref's siblings.
    assert.deepEqual(schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy.allOf, [
      { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' },
    ]);
    assert.equal(schemas['io.k8s.api.batch.v1.Job'], undefined);
  });
});

describe('serializeDocument and the index', () => {
  test('equal input gives equal bytes and a SHA-512 hash', () => {
    const again = buildOpenApiV3Document({ group: 'apps', version: 'v1' }, [
      resource('Deployment', 'deployments', { subresources: ['scale', 'status'] }),
    ]);
    const a = serializeDocument(apps);
    assert.equal(serializeDocument(again).json, a.json);
    assert.match(a.hash, /^[0-9A-F]{128}$/);
    assert.notEqual(serializeDocument(core).hash, a.hash);
  });

  test('the index lists each group/version with its hash', () => {
    assert.equal(openApiV3PathOf('v1'), 'api/v1');
    assert.equal(openApiV3PathOf('apps/v1'), 'apis/apps/v1');
    assert.deepEqual(
      buildOpenApiV3Index(['v1', 'apps/v1'], (gv) => `H-${gv}`),
      {
        paths: {
          'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=H-apps/v1' },
          'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=H-v1' },
        },
      },
    );
  });
});
