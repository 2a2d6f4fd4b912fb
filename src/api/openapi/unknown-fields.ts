// Unknown-field detection for fieldValidation=Strict|Warn.
import { definitionForKind, loadDefinitions, resolve } from './definitions.ts';
import type { Definitions, Schema } from './types.ts';

/**
 * Paths of the fields of `obj` that the schema of group/version/kind does not declare, in
 * the form kube-apiserver reports them (`strict decoding error: unknown field "spec.foo"`):
 * dot-separated, list items as `[i]` (`spec.template.spec.containers[0].bar`), map values
 * by their key (`metadata.labels.x` cannot be unknown, but a field inside a map's object
 * value reads `spec.versions[0].schema.openAPIV3Schema.properties.size.bogus`).
 *
 * Values of the wrong type are not reported (that is validation's job), nor is anything
 * under x-kubernetes-preserve-unknown-fields (managedFields' fieldsV1, RawExtension).
 * A kind without a definition (a custom resource) yields [].
 */
export function findUnknownFields(
  obj: unknown,
  group: string,
  version: string,
  kind: string,
): string[] {
  const name = definitionForKind(group, version, kind);
  if (!name) return [];
  const definitions = loadDefinitions();
  const unknown: string[] = [];
  walk(obj, definitions[name], '', definitions, unknown);
  return unknown;
}

function walk(
  value: unknown,
  schema: Schema,
  path: string,
  definitions: Definitions,
  unknown: string[],
): void {
  const shape = resolve(schema, definitions);
  if (
    shape['x-kubernetes-preserve-unknown-fields'] ||
    value === null ||
    typeof value !== 'object'
  ) {
    return;
  }
  if (Array.isArray(value)) {
    if (shape.type !== 'array' || !shape.items) return;
    value.forEach((item, i) => walk(item, shape.items!, `${path}[${i}]`, definitions, unknown));
    return;
  }
  const record = value as Record<string, unknown>;
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  if (shape.properties) {
    for (const [key, child] of Object.entries(record)) {
      const property = shape.properties[key];
      if (property) walk(child, property, join(key), definitions, unknown);
      else unknown.push(join(key));
    }
  } else if (typeof shape.additionalProperties === 'object') {
    for (const [key, child] of Object.entries(record)) {
      walk(child, shape.additionalProperties, join(key), definitions, unknown);
    }
  }
}
