import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findUnknownFields } from './unknown-fields.ts';

function deployment(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, ...metadata },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { 'example.com/x': 'y' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              resources: { limits: { cpu: '1', memory: '1Gi' } },
              livenessProbe: { httpGet: { path: '/', port: 'http' } },
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          nodeSelector: { disk: 'ssd' },
        },
      },
      ...spec,
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };
}

const cases: { name: string; obj: unknown; kind?: [string, string, string]; want: string[] }[] = [
  { name: 'a valid Deployment', obj: deployment(), want: [] },
  { name: 'an unknown spec field', obj: deployment({ foo: 1 }), want: ['spec.foo'] },
  {
    name: 'unknown fields in list items, by index',
    obj: deployment({
      template: {
        spec: {
          containers: [
            { name: 'a' },
            { name: 'b', bar: true, ports: [{ containerPort: 1, zz: 0 }] },
          ],
        },
      },
    }),
    want: ['spec.template.spec.containers[1].bar', 'spec.template.spec.containers[1].ports[0].zz'],
  },
  {
    name: 'unknown fields in embedded object metadata',
    obj: deployment({ template: { metadata: { labelz: {} }, spec: { containers: [] } } }),
    want: ['spec.template.metadata.labelz'],
  },
  { name: 'an unknown top-level field', obj: { ...deployment(), extra: 1 }, want: ['extra'] },
  {
    name: 'maps accept any key; managedFields.fieldsV1 any shape',
    obj: deployment(
      {},
      {
        annotations: { 'a/b': 'c' },
        managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
      },
    ),
    want: [],
  },
  {
    name: 'values of the wrong type are validation’s business',
    obj: deployment({ replicas: 'two', selector: 'app=web' }),
    want: [],
  },
  {
    name: 'a ConfigMap with data and binaryData maps',
    obj: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { k: 'v' },
      binaryData: { b: 'AA==' },
      dta: {},
    },
    kind: ['', 'v1', 'ConfigMap'],
    want: ['dta'],
  },
  {
    name: 'CRD schemas: JSON values are free, JSONSchemaProps fields checked',
    obj: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                'x-kubernetes-preserve-unknown-fields': true,
                properties: { size: { type: 'integer', default: 3, bogus: 1 } },
              },
            },
          },
        ],
      },
    },
    kind: ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'],
    want: ['spec.versions[0].schema.openAPIV3Schema.properties.size.bogus'],
  },
  {
    name: 'a kind without a definition',
    obj: { a: 1 },
    kind: ['example.com', 'v1', 'Widget'],
    want: [],
  },
  { name: 'not an object', obj: 'x', want: [] },
];

for (const { name, obj, kind, want } of cases) {
  test(`findUnknownFields: ${name}`, () => {
    const [group, version, k] = kind ?? ['apps', 'v1', 'Deployment'];
    assert.deepEqual(findUnknownFields(obj, group, version, k), want);
  });
}
