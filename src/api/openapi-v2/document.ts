// The swagger 2.0 document kube-apiserver serves at /openapi/v2: one document for every
// group/version, with every definition and the paths of every served resource. kubectl
// 1.27 and 1.28 load it (as protobuf, see gnostic.ts) before `explain` and before
// `create`/`apply --validate=strict`, where a PATCH operation carrying the kind's
// `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter tells kubectl
// that the server checks fields itself.
import { createHash } from 'node:crypto';
import {
  definitionForKind,
  loadDefinitions,
  type ResourceInfo,
  type Schema,
} from '../openapi/index.ts';
// The v3 builder's path maker is reused, with its operations rewritten to swagger 2.0.
import { addResourcePaths, type Json, type JsonObject } from '../openapi/operations.ts';

const DEFINITION_REF_PREFIX = '#/definitions/';
const KUBERNETES_VERSION = 'v1.32.0';
const PATCH_DEFINITION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
const PATCH_SCHEMA: Schema = Object.freeze({
  description:
    'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  type: 'object',
});
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** apiVersion (`v1`, `apps/v1`) → the resources served in it. */
export type ResourcesByGroupVersion = Readonly<Record<string, readonly ResourceInfo[]>>;

export interface OpenApiV2Document {
  swagger: '2.0';
  info: { title: string; version: string };
  /** Path → path item, in sorted order. */
  paths: Record<string, JsonObject>;
  /** Definition name → schema, in sorted order. Shared with loadDefinitions(): read-only. */
  definitions: Record<string, Schema>;
  securityDefinitions: Record<string, JsonObject>;
  security: Record<string, string[]>[];
}

/**
 * The swagger 2.0 document for `resourcesByGroupVersion`. Its keys are built in sorted
 * order, so JSON.stringify of it is deterministic; it shares the definitions' objects
 * with loadDefinitions(), so it must not be mutated.
 */
export function openApiV2Json(resourcesByGroupVersion: ResourcesByGroupVersion): OpenApiV2Document {
  const loaded = loadDefinitions();
  const known = (name: string | undefined): name is string =>
    name !== undefined && (name in loaded || name === PATCH_DEFINITION);
  const paths: Record<string, JsonObject> = {};
  for (const gv of Object.keys(resourcesByGroupVersion).sort()) {
    const [group, version] = gv.includes('/') ? gv.split('/', 2) : ['', gv];
    const ctx = {
      group: group!,
      version: version!,
      schemaOf: (name: string | undefined): Json =>
        known(name) ? { $ref: DEFINITION_REF_PREFIX + name } : {},
      definitionForKind,
    };
    const resources = [...resourcesByGroupVersion[gv]!];
    for (const resource of resources.sort((a, b) => a.plural.localeCompare(b.plural))) {
      addResourcePaths(paths, resource, ctx);
    }
  }
  const definitions: Record<string, Schema> = {};
  for (const name of [...Object.keys(loaded), PATCH_DEFINITION].sort()) {
    definitions[name] = loaded[name] ?? PATCH_SCHEMA;
  }
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION },
    paths: Object.fromEntries(
      Object.keys(paths)
        .sort()
        .map((path) => [path, toV2PathItem(paths[path]!)]),
    ),
    definitions,
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        in: 'header',
        name: 'authorization',
        type: 'apiKey',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function toV2PathItem(item: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const method of METHODS) {
    const operation = item[method];
    if (operation) out[method] = toV2Operation(operation as JsonObject);
  }
  if (item.parameters) out.parameters = (item.parameters as JsonObject[]).map(toV2Parameter);
  return sortKeys(out);
}

interface V3Content {
  [mediaType: string]: { schema: Json };
}

/**
 * An OpenAPI 3 operation from operations.ts as swagger 2.0 writes it: the request body
 * becomes the first parameter (`in: body`), response content becomes `schema` plus the
 * operation's `produces`, and parameter schemas are inlined.
 */
function toV2Operation(operation: JsonObject): JsonObject {
  const { requestBody, responses, parameters, ...rest } = operation;
  const out: JsonObject = { ...rest };
  const v2Parameters = ((parameters ?? []) as JsonObject[]).map(toV2Parameter);
  if (requestBody) {
    const { content, required } = requestBody as { content: V3Content; required?: boolean };
    const mediaTypes = Object.keys(content);
    out.consumes = mediaTypes;
    const body: JsonObject = { in: 'body', name: 'body', schema: content[mediaTypes[0]!]!.schema };
    if (required) body.required = true;
    v2Parameters.unshift(sortKeys(body));
  }
  if (v2Parameters.length > 0) out.parameters = v2Parameters;
  const produces = new Set<string>();
  const v2Responses: JsonObject = {};
  for (const [code, response] of Object.entries(responses as Record<string, JsonObject>)) {
    const v2Response: JsonObject = { description: response.description! };
    const content = response.content as V3Content | undefined;
    if (content) {
      for (const mediaType of Object.keys(content)) produces.add(mediaType);
      v2Response.schema = Object.values(content)[0]!.schema;
    }
    v2Responses[code] = v2Response;
  }
  if (produces.size > 0) out.produces = [...produces];
  out.responses = sortKeys(v2Responses);
  out.schemes = ['https'];
  return sortKeys(out);
}

/** `{name, in, schema: {type, uniqueItems}}` → `{name, in, type, uniqueItems}`. */
function toV2Parameter(parameter: JsonObject): JsonObject {
  const { schema, ...rest } = parameter;
  return sortKeys({ ...rest, ...(schema as JsonObject | undefined) });
}

function sortKeys(value: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]!]),
  );
}

/**
 * The JSON text of `document` and its ETag as kube-apiserver computes it: the SHA-512 of
 * the JSON bytes in upper-case hex, quoted. The protobuf answer carries the same ETag.
 */
export function serializeOpenApiV2(document: OpenApiV2Document): { json: string; etag: string } {
  const json = JSON.stringify(document);
  return { json, etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"` };
}
