// Turning FieldErrors into the text kube-apiserver sends: apierrors.NewInvalid's
// `<Kind>.<group> "<name>" is invalid: <aggregate>`, where the aggregate is the single
// error, or `[e1, e2]` for several, with duplicate messages dropped (utilerrors.Aggregate).

import type { FieldError } from '../types.ts';
import { OMIT } from './field.ts';
import { goQuote, renderGo } from './go-format.ts';

const TYPE_TEXT: Record<string, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** These types never print their value (field.Error.ErrorBody). */
const VALUELESS = new Set([
  'FieldValueRequired',
  'FieldValueForbidden',
  'FieldValueTooLong',
  'InternalError',
]);

/** The message without the field: `Invalid value: "x": detail` (ErrorBody). */
export function errorBody(err: FieldError): string {
  const type = TYPE_TEXT[err.type] ?? err.type;
  let s = type;
  if (!VALUELESS.has(err.type) && err.value !== OMIT) s = `${type}: ${renderGo(err.value)}`;
  if (err.detail) s += `: ${err.detail}`;
  return s;
}

/** `<field>: <body>` (field.Error.Error). */
export function errorString(err: FieldError): string {
  return `${err.field}: ${errorBody(err)}`;
}

/** The group of every non-core kind wharf serves, to qualify `Deployment` as `Deployment.apps`. */
const GROUP_OF_KIND: Record<string, string> = {
  Deployment: 'apps',
  ReplicaSet: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ControllerRevision: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  Ingress: 'networking.k8s.io',
  IngressClass: 'networking.k8s.io',
  NetworkPolicy: 'networking.k8s.io',
  EndpointSlice: 'discovery.k8s.io',
  Role: 'rbac.authorization.k8s.io',
  ClusterRole: 'rbac.authorization.k8s.io',
  RoleBinding: 'rbac.authorization.k8s.io',
  ClusterRoleBinding: 'rbac.authorization.k8s.io',
  PriorityClass: 'scheduling.k8s.io',
  StorageClass: 'storage.k8s.io',
  CSIDriver: 'storage.k8s.io',
  CSINode: 'storage.k8s.io',
  VolumeAttachment: 'storage.k8s.io',
  PodDisruptionBudget: 'policy',
  HorizontalPodAutoscaler: 'autoscaling',
  Lease: 'coordination.k8s.io',
};

/** schema.GroupKind.String(): `Pod`, `Deployment.apps`. */
export function qualifiedKind(kind: string, group?: string): string {
  if (group !== undefined) return group === '' ? kind : `${kind}.${group}`;
  if (kind.includes('.')) return kind;
  const g = GROUP_OF_KIND[kind];
  return g ? `${kind}.${g}` : kind;
}

/**
 * The Status message of a 422 Invalid error. `kind` may be already qualified
 * (`Deployment.apps`) or bare; pass `group` to disambiguate (events.k8s.io Event).
 */
export function formatFieldErrors(
  kind: string,
  name: string,
  errs: FieldError[],
  group?: string,
): string {
  const head = `${qualifiedKind(kind, group)} ${goQuote(name)} is invalid`;
  const msgs: string[] = [];
  for (const e of errs) {
    const m = errorString(e);
    if (!msgs.includes(m)) msgs.push(m);
  }
  if (msgs.length === 0) return head;
  return `${head}: ${msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`}`;
}

/** metav1.StatusCause entries for Status.details.causes, as apierrors.NewInvalid builds them. */
export function fieldErrorCauses(
  errs: FieldError[],
): { reason: string; message: string; field: string }[] {
  return errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
}
