// The shapes every part of wharf uses to talk about Kubernetes objects and kinds.

/** Any Kubernetes object as JSON: apiVersion, kind, metadata and the rest. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface GroupVersionKind {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  /** The plural resource name, e.g. `deployments`. */
  resource: string;
}

/** `v1` for core, `apps/v1` otherwise. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * One validation failure, as apimachinery's field.Error: the message a user reads is
 * `<field>: <type text>: <detail>`, e.g.
 * `metadata.name: Invalid value: "Foo_1": a lowercase RFC 1123 subdomain must …`.
 */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotFound'
    | 'FieldValueDuplicate'
    | 'FieldValueForbidden'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'InternalError'
    | 'FieldValueTypeInvalid';
  /** Dotted path with list indexes and map keys: `spec.containers[0].image`. */
  field: string;
  /** The offending value, for Invalid/NotSupported/Duplicate/TypeInvalid. */
  value?: unknown;
  /** For NotSupported: the values that are allowed. */
  supported?: string[];
  detail?: string;
}

/** One column of a `meta.k8s.io/v1` Table, as kube-apiserver's printers define it. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 = always shown; 1 = only with `-o wide`. */
  priority: number;
}

/** How one kind is printed by `kubectl get`: its columns and one row of cells per object. */
export interface Printer {
  columns: TableColumn[];
  /** Cells in column order; `now` makes AGE-like cells deterministic in tests. */
  cells(obj: KubeObject, now: Date): unknown[];
}
