// Builds the Kubernetes 1.32 definitions (swagger-2 shape, as in the upstream
// `api/openapi-spec/swagger.json`) from the generated client's model, once, on first use.
import { FIELD_FACTS } from './facts.ts';
import { nameModels, type NamedModel } from './naming.ts';
import {
  readApiOperations,
  readFieldDocs,
  readModels,
  type Model,
  type ModelAttribute,
} from './source.ts';
import { DEFINITION_REF_PREFIX, type Definitions, type Schema } from './types.ts';

interface Loaded {
  definitions: Definitions;
  /** `group/version/Kind` → definition name. */
  byKind: Map<string, string>;
}

let loaded: Loaded | undefined;

/** Every Kubernetes 1.32 definition by name (`io.k8s.api.core.v1.Pod`). Cached; do not mutate. */
export function loadDefinitions(): Definitions {
  return load().definitions;
}

/** The definition of a kind, e.g. ('apps', 'v1', 'Deployment') → `io.k8s.api.apps.v1.Deployment`. */
export function definitionForKind(
  group: string,
  version: string,
  kind: string,
): string | undefined {
  return load().byKind.get(`${group}/${version}/${kind}`);
}

function load(): Loaded {
  if (loaded) return loaded;
  const models = readModels();
  const names = nameModels(models, readApiOperations());
  const fieldDocs = readFieldDocs();
  const definitions: Record<string, Schema> = {};
  const byKind = new Map<string, string>();
  for (const model of models.values()) {
    const named = names.get(model.name)!;
    definitions[named.definition] = modelSchema(model, named, names, fieldDocs);
    if (named.gvk) {
      const { group, version, kind } = named.gvk;
      byKind.set(`${group}/${version}/${kind}`, named.definition);
    }
  }
  applyFacts(definitions);
  loaded = { definitions: deepFreeze(definitions), byKind };
  return loaded;
}

function modelSchema(
  model: Model,
  named: NamedModel,
  names: Map<string, NamedModel>,
  fieldDocs: Map<string, string>,
): Schema {
  const schema: Schema = {};
  if (model.description) schema.description = model.description;
  schema.type = 'object';
  const properties: Record<string, Schema> = {};
  for (const attribute of model.attributes) {
    const property = typeSchema(attribute.type, attribute, names, model.name);
    const description =
      model.fieldDescriptions.get(attribute.baseName) ??
      fieldDocs.get(`${named.definition}#${attribute.baseName}`);
    properties[attribute.baseName] = description ? { description, ...property } : property;
  }
  schema.properties = properties;
  if (model.required.length > 0) schema.required = model.required;
  if (named.gvk) schema['x-kubernetes-group-version-kind'] = [named.gvk];
  return schema;
}

/** Translates the generator's TypeScript type strings back to OpenAPI. */
function typeSchema(
  type: string,
  attribute: ModelAttribute,
  names: Map<string, NamedModel>,
  owner: string,
): Schema {
  const array = type.match(/^Array<(.+)>$/);
  if (array) return { type: 'array', items: typeSchema(array[1], attribute, names, owner) };
  const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map) {
    return { type: 'object', additionalProperties: typeSchema(map[1], attribute, names, owner) };
  }
  const format = attribute.format;
  switch (type) {
    case 'string':
      return format === 'byte' ? { type: 'string', format } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return format === 'double' || format === ''
        ? { type: 'number', format: 'double' }
        : { type: 'integer', format };
    // Time and MicroTime are strings on the wire; upstream serves them as such too.
    case 'Date':
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
    case 'any':
      // FieldsV1 and RawExtension are objects of any shape; JSONSchemaProps' JSON
      // values (default, enum, example, items, …) may be any JSON value.
      return owner === 'V1JSONSchemaProps'
        ? { 'x-kubernetes-preserve-unknown-fields': true }
        : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  const named = names.get(type);
  if (!named) throw new Error(`openapi: ${owner}.${attribute.baseName} has unknown type ${type}`);
  return { $ref: DEFINITION_REF_PREFIX + named.definition };
}

function applyFacts(definitions: Record<string, Schema>): void {
  for (const [shortName, field, facts] of FIELD_FACTS) {
    const definition = definitions[`io.k8s.${shortName}`];
    const target = field === '' ? definition : definition?.properties?.[field];
    if (!target) continue; // a field 1.32 dropped; definitions.test.ts lists none
    if (facts.strategy) target['x-kubernetes-patch-strategy'] = facts.strategy;
    if (facts.key) target['x-kubernetes-patch-merge-key'] = facts.key;
    if (facts.listType) target['x-kubernetes-list-type'] = facts.listType;
    if (facts.mapKeys) target['x-kubernetes-list-map-keys'] = facts.mapKeys;
    if (facts.mapType) target['x-kubernetes-map-type'] = facts.mapType;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The definition a `$ref` names, or undefined for an inline schema. */
export function refName(schema: Schema): string | undefined {
  const ref = schema.$ref ?? schema.allOf?.[0]?.$ref;
  return ref?.startsWith(DEFINITION_REF_PREFIX)
    ? ref.slice(DEFINITION_REF_PREFIX.length)
    : undefined;
}

/** Follows `$ref`s to the schema that describes a value's shape. */
export function resolve(schema: Schema, definitions: Definitions): Schema {
  let current = schema;
  for (let name = refName(current); name !== undefined; name = refName(current)) {
    const target = definitions[name];
    if (!target) return {};
    current = target;
  }
  return current;
}
