// ObjectMeta validation: apimachinery's ValidateObjectMeta / ValidateObjectMetaUpdate
// plus the extra finalizer-name check that pkg/apis/core/validation adds for every
// built-in kind.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  deepEqual,
  forbidden,
  index,
  invalid,
  isObj,
  num,
  obj,
  required,
  sortedKeys,
  str,
  tooLong,
  type Obj,
} from './field.ts';
import { goRaw, goSlice, goStruct, goTime } from './go-format.ts';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameFn } from './names.ts';

export const IS_NEGATIVE_ERROR = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE = 'field is immutable';
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateNonnegative(value: unknown, path: string): FieldError[] {
  const n = num(value);
  return n !== undefined && n < 0 ? [invalid(path, n, IS_NEGATIVE_ERROR)] : [];
}

/** ValidateImmutableField; `shown` is the Go rendering of the new value when it matters. */
export function validateImmutable(
  newValue: unknown,
  oldValue: unknown,
  path: string,
  shown: unknown = newValue,
): FieldError[] {
  return deepEqual(newValue, oldValue) ? [] : [invalid(path, shown ?? null, FIELD_IMMUTABLE)];
}

export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

/** v1validation.ValidateLabels: every error is reported at the map's path itself. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isObj(labels)) return [];
  const errs: FieldError[] = [];
  for (const k of sortedKeys(labels)) {
    errs.push(...validateLabelName(k, path));
    const v = str(labels[k]);
    for (const m of isValidLabelValue(v)) errs.push(invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isObj(annotations)) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const k of sortedKeys(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(str(annotations[k]));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function goBoolPtr(v: unknown): unknown {
  return typeof v === 'boolean' ? goRaw('(*bool)(0xc000000000)') : goRaw('(*bool)(nil)');
}

function goOwnerReference(ref: Obj) {
  return goStruct('v1.OwnerReference', [
    ['APIVersion', str(ref.apiVersion)],
    ['Kind', str(ref.kind)],
    ['Name', str(ref.name)],
    ['UID', str(ref.uid)],
    ['Controller', goBoolPtr(ref.controller)],
    ['BlockOwnerDeletion', goBoolPtr(ref.blockOwnerDeletion)],
  ]);
}

/** Owner references are reported without an index, as apimachinery does. */
export function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  const list = arr(refs).map((r) => (isObj(r) ? r : {}));
  for (const ref of list) {
    const apiVersion = str(ref.apiVersion);
    const version = apiVersion.includes('/') ? apiVersion.split('/').pop()! : apiVersion;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (version === '') {
      errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    }
    if (str(ref.kind) === '')
      errs.push(invalid(child(path, 'kind'), str(ref.kind), 'must not be empty'));
    if (str(ref.name) === '')
      errs.push(invalid(child(path, 'name'), str(ref.name), 'must not be empty'));
    if (str(ref.uid) === '')
      errs.push(invalid(child(path, 'uid'), str(ref.uid), 'must not be empty'));
    if (group === '' && version === 'v1' && ref.kind === 'Event') {
      errs.push(
        invalid(path, goOwnerReference(ref), '/v1, Kind=Event is disallowed from being an owner'),
      );
    }
    if (ref.controller === true) {
      const name = `${str(ref.kind)}/${str(ref.name)}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            path,
            goRaw(`[]v1.OwnerReference{${list.map((r) => goOwnerReference(r).text).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      } else {
        firstController = name;
      }
    }
  }
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** apimachinery ValidateFinalizers: qualified names, reported without an index. */
export function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers).map(str);
  for (const f of list) for (const m of isQualifiedName(f)) errs.push(invalid(path, f, m));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(
      invalid(path, goSlice(list), 'finalizer orphan and foregroundDeletion cannot be both set'),
    );
  }
  return errs;
}

/** validateKubeFinalizerName: an unqualified finalizer must be one Kubernetes knows. */
export function validateKubeFinalizerName(value: string, path: string): FieldError[] {
  if (!value.includes('/') && !STANDARD_FINALIZERS.has(value)) {
    return [
      invalid(path, value, 'name is neither a standard finalizer name nor is it fully qualified'),
    ];
  }
  return [];
}

/**
 * ValidateObjectMeta on create: generateName as a prefix, name, namespace by scope,
 * generation, labels, annotations, owner references and finalizers.
 */
export function validateObjectMeta(
  metaValue: unknown,
  namespaced: boolean,
  nameFn: NameFn,
  path = 'metadata',
  kubeFinalizers = true,
): FieldError[] {
  const meta = obj(metaValue) ?? {};
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  if (generateName !== '') {
    for (const m of nameFn(generateName, true)) {
      errs.push(invalid(child(path, 'generateName'), generateName, m));
    }
  }
  const name = str(meta.name);
  if (name === '') {
    errs.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const m of nameFn(name, false)) errs.push(invalid(child(path, 'name'), name, m));
  }
  const namespace = str(meta.namespace);
  if (namespaced) {
    if (namespace === '') errs.push(required(child(path, 'namespace')));
    else
      for (const m of nameIsDNSLabel(namespace, false))
        errs.push(invalid(child(path, 'namespace'), namespace, m));
  } else if (namespace !== '') {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(meta.generation, child(path, 'generation')));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers')));
  if (kubeFinalizers) {
    arr(meta.finalizers).forEach((f, i) =>
      errs.push(...validateKubeFinalizerName(str(f), index(child(path, 'finalizers'), i))),
    );
  }
  return errs;
}

function goTimeOrNull(v: unknown): unknown {
  return goTime(v) ?? null;
}

/** ValidateObjectMetaUpdate: identity and timestamps are immutable; labels etc. revalidated. */
export function validateObjectMetaUpdate(
  newValue: unknown,
  oldValue: unknown,
  path = 'metadata',
  kubeFinalizers = true,
): FieldError[] {
  const meta = obj(newValue) ?? {};
  const old = obj(oldValue) ?? {};
  const errs: FieldError[] = [];
  if (str(old.deletionTimestamp) !== '') {
    const oldSet = new Set(arr(old.finalizers).map(str));
    const extra = [...new Set(arr(meta.finalizers).map(str))].filter((f) => !oldSet.has(f)).sort();
    if (extra.length > 0) {
      errs.push(
        forbidden(
          child(path, 'finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goSlice(extra).text}`,
        ),
      );
    }
  }
  if (str(meta.resourceVersion) === '') {
    errs.push(invalid(child(path, 'resourceVersion'), '', 'must be specified for an update'));
  }
  if ((num(meta.generation) ?? 0) < (num(old.generation) ?? 0)) {
    errs.push(
      invalid(child(path, 'generation'), num(meta.generation) ?? 0, 'must not be decremented'),
    );
  }
  errs.push(...validateImmutable(str(meta.name), str(old.name), child(path, 'name')));
  errs.push(
    ...validateImmutable(str(meta.namespace), str(old.namespace), child(path, 'namespace')),
  );
  errs.push(...validateImmutable(str(meta.uid), str(old.uid), child(path, 'uid')));
  errs.push(
    ...validateImmutable(
      meta.creationTimestamp ?? null,
      old.creationTimestamp ?? null,
      child(path, 'creationTimestamp'),
      goTime(meta.creationTimestamp) ?? goRaw('0001-01-01 00:00:00 +0000 UTC'),
    ),
  );
  errs.push(
    ...validateImmutable(
      meta.deletionTimestamp ?? null,
      old.deletionTimestamp ?? null,
      child(path, 'deletionTimestamp'),
      goTimeOrNull(meta.deletionTimestamp),
    ),
  );
  errs.push(
    ...validateImmutable(
      meta.deletionGracePeriodSeconds ?? null,
      old.deletionGracePeriodSeconds ?? null,
      child(path, 'deletionGracePeriodSeconds'),
    ),
  );
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  if (kubeFinalizers) {
    arr(meta.finalizers).forEach((f, i) =>
      errs.push(...validateKubeFinalizerName(str(f), index(child(path, 'finalizers'), i))),
    );
  }
  return errs;
}

const TEMPLATE_META_ALLOWED = new Set(['labels', 'annotations']);

/** ValidateTemplateObjectMeta: embedded templates may only carry labels and annotations. */
export function validateTemplateObjectMeta(metaValue: unknown, path: string): FieldError[] {
  const meta = obj(metaValue) ?? {};
  const errs = validateAnnotations(meta.annotations, child(path, 'annotations'));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  for (const k of Object.keys(meta)) {
    const v = meta[k];
    const empty =
      v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);
    if (!TEMPLATE_META_ALLOWED.has(k) && !empty)
      errs.push(forbidden(child(path, k), 'cannot be set'));
  }
  return errs;
}
