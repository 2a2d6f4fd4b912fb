import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiVersionOf, builtinRegistry } from '../index.ts';
import { loadDefinitions } from '../openapi/index.ts';
import { SERVED } from './kubectl-fixture.ts';
import { openApiV2Json, openApiV2Protobuf, serializeOpenApiV2 } from './index.ts';

const DEPLOYMENT = '/apis/apps/v1/namespaces/{namespace}/deployments/{name}';
type Obj = Record<string, unknown>;

describe('openApiV2Json', () => {
  const document = openApiV2Json(SERVED);
  const { json } = serializeOpenApiV2(document);

  test('is a swagger 2.0 document with every definition', () => {
    assert.equal(document.swagger, '2.0');
    assert.deepEqual(document.info, { title: 'Kubernetes', version: 'v1.32.0' });
    const names = Object.keys(document.definitions);
    assert.equal(names.length, Object.keys(loadDefinitions()).length + 1); // + meta/v1 Patch
    assert.deepEqual(names, [...names].sort());
    const spec = document.definitions['io.k8s.api.apps.v1.DeploymentSpec']!;
    assert.match(spec.properties!.replicas!.description!, /Number of desired pods/);
    assert.deepEqual(
      document.definitions['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind'],
      [{ group: 'apps', version: 'v1', kind: 'Deployment' }],
    );
  });

  test('every $ref names a definition, and nothing of OpenAPI 3 is left', () => {
    const refs = [...json.matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 100);
    for (const ref of refs) {
      assert.ok(ref.startsWith('#/definitions/'), ref);
      assert.ok(ref.slice('#/definitions/'.length) in document.definitions, ref);
    }
    assert.doesNotMatch(json, /"requestBody"|"content"|#\/components\//);
  });

  test('PATCH of a kind carries its GVK and the fieldValidation query parameter', () => {
    const patch = document.paths[DEPLOYMENT]!.patch as Obj;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], {
      group: 'apps',
      kind: 'Deployment',
      version: 'v1',
    });
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
    const parameters = patch.parameters as Obj[];
    assert.deepEqual(parameters[0], {
      in: 'body',
      name: 'body',
      required: true,
      schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    });
    const fieldValidation = parameters.find((p) => p.name === 'fieldValidation');
    assert.deepEqual(
      { ...fieldValidation, description: undefined },
      {
        description: undefined,
        in: 'query',
        name: 'fieldValidation',
        type: 'string',
        uniqueItems: true,
      },
    );
    assert.deepEqual(patch.consumes, [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    assert.deepEqual(patch.schemes, ['https']);
    assert.deepEqual((patch.responses as Obj)['200'], {
      description: 'OK',
      schema: { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' },
    });
  });

  test('path parameters are inlined with their type', () => {
    const parameters = document.paths[DEPLOYMENT]!.parameters as Obj[];
    assert.deepEqual(parameters[0], {
      description: 'name of the Deployment',
      in: 'path',
      name: 'name',
      required: true,
      type: 'string',
      uniqueItems: true,
    });
  });

  test('serves the paths of every group/version given', () => {
    const paths = Object.keys(document.paths);
    assert.ok(paths.includes('/api/v1/namespaces/{namespace}/pods/{name}/log'));
    assert.ok(paths.includes('/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'));
    assert.deepEqual(paths, [...paths].sort());
  });

  test('is deterministic, and the ETag is the quoted upper-case SHA-512 of the JSON', () => {
    const again = serializeOpenApiV2(openApiV2Json(SERVED));
    assert.equal(again.json, json);
    assert.match(again.etag, /^"[0-9A-F]{128}"$/);
  });

  test('builds and encodes the builtin registry in well under a second', () => {
    const registry = builtinRegistry();
    const served = Object.fromEntries(
      registry
        .groups()
        .flatMap(({ group, versions }) =>
          versions.map((v) => [
            apiVersionOf(group, v),
            registry.resourcesOf(group, v).map((t) => ({ ...t, plural: t.resource })),
          ]),
        ),
    );
    const started = performance.now();
    const built = openApiV2Json(served);
    serializeOpenApiV2(built);
    const bytes = openApiV2Protobuf(built);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(bytes.length > 500_000);
  });
});
