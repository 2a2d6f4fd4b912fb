// OpenAPI v3 documents as kube-apiserver serves them: one per group/version at
// `/openapi/v3/apis/<group>/<version>` (`/openapi/v3/api/v1` for core), listed with a
// content hash at `/openapi/v3`. Clients cache a document by its hash, so a document
// must serialize identically every time it is built from the same input.
import { createHash } from 'node:crypto';
import { definitionForKind, loadDefinitions, refName } from './definitions.ts';
import { addResourcePaths, type Json, type JsonObject } from './operations.ts';
import {
  DEFINITION_REF_PREFIX,
  type Definitions,
  type ResourceInfo,
  type Schema,
} from './types.ts';

const COMPONENT_REF_PREFIX = '#/components/schemas/';
const KUBERNETES_VERSION = 'v1.32.0';

/** apimachinery types the upstream spec defines but the generated client model lacks. */
const EXTRA_DEFINITIONS: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': {
    description:
      'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  },
};

export interface GroupVersion {
  /** '' for the core group. */
  group: string;
  version: string;
}

/**
 * The OpenAPI v3 document of one group/version serving `resources`: their paths, and in
 * `components.schemas` every definition those paths reach through `$ref`s, with
 * descriptions and x-kubernetes extensions, so `kubectl explain` can walk any field.
 * Resources whose kind has no definition get paths with an empty schema.
 */
export function buildOpenApiV3Document(
  groupVersion: GroupVersion,
  resources: readonly ResourceInfo[],
): JsonObject {
  const definitions = loadDefinitions();
  const wanted = new Set<string>();
  const schemaOf = (definition: string | undefined): Json => {
    if (!definition || !(definition in definitions || definition in EXTRA_DEFINITIONS)) return {};
    wanted.add(definition);
    return { $ref: COMPONENT_REF_PREFIX + definition };
  };
  const paths: Record<string, JsonObject> = {};
  const ctx = { ...groupVersion, schemaOf, definitionForKind };
  for (const resource of [...resources].sort((a, b) => a.plural.localeCompare(b.plural))) {
    addResourcePaths(paths, resource, ctx);
  }
  const schemas: Record<string, Json> = {};
  for (const name of [...reachable(wanted, definitions)].sort()) {
    schemas[name] = toV3(definitions[name] ?? EXTRA_DEFINITIONS[name]);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION },
    paths: sortKeys(paths),
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

function reachable(roots: Set<string>, definitions: Definitions): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  const visit = (schema: Schema | boolean | undefined): void => {
    if (!schema || typeof schema !== 'object') return;
    const name = refName(schema);
    if (name && !seen.has(name)) queue.push(name);
    schema.allOf?.forEach(visit);
    Object.values(schema.properties ?? {}).forEach(visit);
    visit(schema.items);
    visit(schema.additionalProperties);
  };
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    visit(definitions[name] ?? EXTRA_DEFINITIONS[name]);
  }
  return seen;
}

/**
 * Rewrites a swagger-2 schema for OpenAPI 3.0: refs point into components, and a `$ref`
 * with sibling keys (description, patch extensions) becomes `allOf: [{$ref}]` beside
 * them, because OpenAPI 3.0 ignores a `$ref`'s siblings.
 */
function toV3(schema: Schema): Json {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref') continue;
    if (key === 'properties') {
      const properties = value as Record<string, Schema>;
      out.properties = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [name, toV3(property)]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toV3(value as Schema);
    } else if (key === 'allOf') {
      out.allOf = (value as Schema[]).map(toV3);
    } else {
      out[key] = structuredClone(value) as Json;
    }
  }
  if (schema.$ref) {
    const ref = COMPONENT_REF_PREFIX + schema.$ref.slice(DEFINITION_REF_PREFIX.length);
    if (Object.keys(out).length === 0) return { $ref: ref };
    out.allOf = [{ $ref: ref }];
  }
  return out;
}

/** The key of a group/version in the `/openapi/v3` index: `api/v1`, `apis/apps/v1`. */
export function openApiV3PathOf(groupVersion: string): string {
  return groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

/**
 * The `/openapi/v3` index. `groupVersions` are apiVersion strings (`v1`, `apps/v1`);
 * `hashOf` gets the same string and returns the hash of that group/version's document.
 */
export function buildOpenApiV3Index(
  groupVersions: readonly string[],
  hashOf: (groupVersion: string) => string,
): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of [...groupVersions].sort()) {
    const path = openApiV3PathOf(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(gv)}` };
  }
  return { paths };
}

/**
 * Serializes a document with keys in sorted order, so equal documents give equal bytes,
 * and hashes the bytes as kube-apiserver does (SHA-512, upper-case hex).
 */
export function serializeDocument(document: unknown): { json: string; hash: string } {
  const json = JSON.stringify(sortKeys(document as Json));
  return { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

function sortKeys<T extends Json>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.keys(value)
    .sort()
    .map((key) => [key, sortKeys((value as JsonObject)[key])]);
  return Object.fromEntries(entries) as T;
}
