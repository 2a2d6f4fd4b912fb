// Strategic-merge-patch metadata of a field, as the server's patch code needs it.
import { loadDefinitions, refName, resolve } from './definitions.ts';
import { DEFINITION_REF_PREFIX, type Definitions, type PatchMeta, type Schema } from './types.ts';

export interface FieldLookup {
  /** The field's own schema, extensions included, before `$ref` resolution. */
  field: Schema;
  /** The schema describing the field's value, `$ref`s followed. */
  value: Schema;
  /** The definition the value is an instance of, when it is one. */
  definition?: string;
}

/**
 * Finds a field by its path of JSON field names from a definition, e.g.
 * ('io.k8s.api.apps.v1.Deployment', ['spec', 'template', 'spec', 'containers']).
 * Lists are stepped through to their items and maps to their values, so
 * `['spec', 'containers', 'ports']` reaches the ports of every container and
 * `['metadata', 'labels', 'app']` a label value. Undefined when the path leaves the schema.
 */
export function lookupField(
  definitionName: string,
  path: readonly string[],
  definitions: Definitions = loadDefinitions(),
): FieldLookup | undefined {
  const root = definitions[definitionName];
  if (!root) return undefined;
  let field: Schema = { $ref: DEFINITION_REF_PREFIX + definitionName };
  let value = root;
  for (const segment of path) {
    while (value.type === 'array' && value.items) value = resolve(value.items, definitions);
    const next =
      value.properties?.[segment] ??
      (typeof value.additionalProperties === 'object' ? value.additionalProperties : undefined);
    if (!next) return undefined;
    field = next;
    value = resolve(next, definitions);
  }
  return { field, value, definition: refName(field) ?? refName(field.items ?? {}) };
}

/**
 * The patch strategy of the field at `path` (see lookupField). A field without an explicit
 * strategy is replaced whole when it is a list or scalar and merged key by key when it is
 * an object or map, which is what strategic merge patch does by default. Undefined when
 * the path leaves the schema.
 */
export function patchMetaFor(
  definitionName: string,
  path: readonly string[],
  definitions: Definitions = loadDefinitions(),
): PatchMeta | undefined {
  const found = lookupField(definitionName, path, definitions);
  if (!found) return undefined;
  const { field, value } = found;
  const explicit = field['x-kubernetes-patch-strategy'];
  const isObject = value.type === 'object' || value.properties !== undefined;
  const strategies = explicit
    ? (explicit.split(',') as PatchMeta['strategies'])
    : [isObject ? ('merge' as const) : ('replace' as const)];
  const meta: PatchMeta = { strategies };
  const mergeKey = field['x-kubernetes-patch-merge-key'];
  if (mergeKey) meta.mergeKey = mergeKey;
  if (value.type === 'array') Object.assign(meta, listSemantics(field, strategies, mergeKey));
  return meta;
}

/**
 * structured-merge-diff's rule for lists that declare no list type: a merge list with a
 * key is a map keyed by it, a merge list without one is a set, anything else is atomic.
 */
function listSemantics(
  field: Schema,
  strategies: PatchMeta['strategies'],
  mergeKey: string | undefined,
): Pick<PatchMeta, 'listType' | 'listMapKeys'> {
  const declared = field['x-kubernetes-list-type'];
  if (declared === 'map')
    return { listType: 'map', listMapKeys: field['x-kubernetes-list-map-keys'] };
  if (declared) return { listType: declared };
  if (!strategies.includes('merge')) return { listType: 'atomic' };
  return mergeKey ? { listType: 'map', listMapKeys: [mergeKey] } : { listType: 'set' };
}
