// Decodes the protobuf with protobufjs and the gnostic .proto text (testdata/), maps it
// back to swagger 2.0 JSON and compares it with the JSON document: every definition,
// path, parameter, response and vendor extension must survive the trip.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import { apiVersionOf, builtinRegistry } from '../index.ts';
import { openApiV2Json, openApiV2Protobuf, serializeOpenApiV2 } from './index.ts';

type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = new protobuf.Root();
protobuf.parse(
  'syntax = "proto3"; package google.protobuf; message Any { string type_url = 1; bytes value = 2; }',
  root,
);
protobuf.parse(
  fs.readFileSync(new URL('testdata/OpenAPIv2.subset.proto', import.meta.url), 'utf8'),
  root,
  {
    keepCase: true,
  },
);
const DocumentType = root.lookupType('openapi.v2.Document');

function decode(bytes: Uint8Array): Msg {
  return DocumentType.toObject(DocumentType.decode(bytes), { defaults: false, longs: Number });
}

/** `repeated Named<T>{name, value}` → `{name: value}`. */
const named = (pairs: Msg[] | undefined, map: (value: Msg) => unknown): Msg =>
  Object.fromEntries((pairs ?? []).map((pair) => [pair.name, map(pair.value)]));

/** Vendor extensions, parsed from their YAML text as kubectl does. */
const extensions = (pairs: Msg[] | undefined): Msg =>
  named(pairs, (any) => {
    assert.equal(any.value, undefined, 'gnostic sets only Any.yaml');
    return parseYaml(any.yaml, { version: '1.1' });
  });

/** Copies fields under their JSON names, dropping unset ones. */
function rename(message: Msg, names: Record<string, string>): Msg {
  const out: Msg = {};
  for (const [field, value] of Object.entries(message)) {
    if (field === 'vendor_extension') Object.assign(out, extensions(value));
    else if (!(field in names)) throw new Error(`unexpected field ${field}`);
    else out[names[field]!] = value;
  }
  return out;
}

function schemaJson(schema: Msg): Msg {
  const { type, items, properties, additional_properties: ap, all_of, ...rest } = schema;
  const out = rename(rest, {
    _ref: '$ref',
    format: 'format',
    description: 'description',
    required: 'required',
    unique_items: 'uniqueItems',
  });
  if (type) out.type = type.value.length === 1 ? type.value[0] : type.value;
  if (items) out.items = schemaJson(items.schema[0]);
  if (properties) out.properties = named(properties.additional_properties, schemaJson);
  if (ap) out.additionalProperties = ap.schema ? schemaJson(ap.schema) : ap.boolean;
  if (all_of) out.allOf = all_of.map(schemaJson);
  return out;
}

const PARAMETER_NAMES = {
  required: 'required',
  in: 'in',
  description: 'description',
  name: 'name',
  type: 'type',
  format: 'format',
  unique_items: 'uniqueItems',
};

function parameterJson(item: Msg): Msg {
  const { body_parameter: body, non_body_parameter: nonBody } = item.parameter;
  if (body) {
    const { schema, ...rest } = body;
    return { ...rename(rest, PARAMETER_NAMES), schema: schemaJson(schema) };
  }
  const [sub] = Object.values(nonBody as Msg);
  return rename(sub, PARAMETER_NAMES);
}

function operationJson(operation: Msg): Msg {
  const { parameters, responses, ...rest } = operation;
  const out = rename(rest, {
    tags: 'tags',
    description: 'description',
    operation_id: 'operationId',
    produces: 'produces',
    consumes: 'consumes',
    schemes: 'schemes',
  });
  if (parameters) out.parameters = parameters.map(parameterJson);
  out.responses = named(responses.response_code, ({ response }) => {
    const json: Msg = { description: response.description };
    if (response.schema) json.schema = schemaJson(response.schema.schema);
    return json;
  });
  return out;
}

function documentJson(document: Msg): Msg {
  const securityDefinitions = document.security_definitions.additional_properties;
  return {
    swagger: document.swagger,
    info: document.info,
    paths: named(document.paths.path, (item) => {
      const { parameters, ...operations } = item;
      const out: Msg = {};
      for (const [method, operation] of Object.entries(operations)) {
        out[method] = operationJson(operation);
      }
      if (parameters) out.parameters = parameters.map(parameterJson);
      return out;
    }),
    definitions: named(document.definitions.additional_properties, schemaJson),
    securityDefinitions: named(securityDefinitions, (item) => item.api_key_security),
    security: document.security.map((requirement: Msg) =>
      named(requirement.additional_properties, (array) => array.value ?? []),
    ),
  };
}

function servedByBuiltinRegistry() {
  const registry = builtinRegistry();
  return Object.fromEntries(
    registry.groups().flatMap(({ group, versions }) =>
      versions.map((version) => [
        apiVersionOf(group, version),
        registry.resourcesOf(group, version).map((t) => ({
          kind: t.kind,
          plural: t.resource,
          namespaced: t.namespaced,
          verbs: t.verbs,
          subresources: t.subresources,
        })),
      ]),
    ),
  );
}

describe('gnostic protobuf of the /openapi/v2 document', () => {
  const document = openApiV2Json(servedByBuiltinRegistry());
  const { json } = serializeOpenApiV2(document);
  const bytes = openApiV2Protobuf(document);
  const decoded = decode(bytes);

  test('decodes back to the JSON document', () => {
    assert.deepStrictEqual(documentJson(decoded), JSON.parse(json));
  });

  test('keeps the order of the JSON document', () => {
    const parsed = JSON.parse(json);
    const names = decoded.definitions.additional_properties.map((d: Msg) => d.name);
    assert.deepEqual(names, Object.keys(parsed.definitions));
    assert.deepEqual(
      decoded.paths.path.map((p: Msg) => p.name),
      Object.keys(parsed.paths),
    );
  });

  test('writes extensions as YAML text, as gnostic does', () => {
    const deployment = decoded.definitions.additional_properties.find(
      (d: Msg) => d.name === 'io.k8s.api.apps.v1.Deployment',
    );
    const gvk = deployment.value.vendor_extension.find(
      (e: Msg) => e.name === 'x-kubernetes-group-version-kind',
    );
    assert.equal(gvk.value.yaml, '- group: apps\n  kind: Deployment\n  version: v1\n');
  });

  test('encodes the same document to the same bytes', () => {
    assert.ok(openApiV2Protobuf(document).equals(bytes));
  });

  test('rejects a key it cannot encode rather than dropping it', () => {
    const broken = { ...document, definitions: { X: { type: 'object', nullable: true } } };
    assert.throws(
      () => openApiV2Protobuf(broken as unknown as typeof document),
      /schema has unsupported key "nullable"/,
    );
  });
});
