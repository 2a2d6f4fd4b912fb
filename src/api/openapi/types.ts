// Shapes of the OpenAPI definitions wharf serves and checks objects against.

export interface GroupVersionKind {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
}

/**
 * One OpenAPI schema in the swagger-2 shape Kubernetes keeps its definitions in:
 * `$ref` points at `#/definitions/<name>`; the v3 document builder rewrites it.
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

/** Definition name (e.g. `io.k8s.api.core.v1.Pod`) → schema. Treat as read-only. */
export type Definitions = Readonly<Record<string, Schema>>;

/** How strategic merge patch treats one field. */
export interface PatchMeta {
  /** `replace` when the schema names no strategy: lists are replaced whole. */
  strategies: ('merge' | 'retainKeys' | 'replace')[];
  /** Merge key of a list of objects (`name` for containers); absent for sets of scalars. */
  mergeKey?: string;
  /** Server-side apply list semantics, from the schema or derived from the patch strategy. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** One served resource, as discovery lists it. */
export interface ResourceInfo {
  kind: string;
  /** Plural resource name, e.g. `deployments`. */
  plural: string;
  namespaced: boolean;
  /** Discovery verbs: get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  /** e.g. `status`, `scale`, `log`, `exec`. */
  subresources: string[];
}

export const DEFINITION_REF_PREFIX = '#/definitions/';
