// Validation of the built-in kinds as kube-apiserver 1.32 performs it on create and
// update, with its error texts. Objects are expected to be defaulted first
// (../defaults), exactly as the API server defaults before it validates.

import type { FieldError, KubeObject } from '../types.ts';
import {
  commonCreate,
  commonUpdate,
  dedupe,
  kindCreate,
  kindSubresourceUpdate,
  kindUpdate,
} from './registry.ts';

export interface ValidationOptions {
  /** The kind is namespaced (namespace required) rather than cluster-scoped (forbidden). */
  namespaced: boolean;
}

export interface UpdateValidationOptions extends ValidationOptions {
  /** The subresource written (`status`, `ephemeralcontainers`, `scale`); '' for the object. */
  subresource?: string;
}

/** The errors of creating `obj`; empty when it may be stored. */
export function validateCreate(
  group: string,
  version: string,
  kind: string,
  obj: KubeObject,
  opts: ValidationOptions,
): FieldError[] {
  const errs = kindCreate(group, version, kind, obj, opts.namespaced);
  if (errs.length > 0) return dedupe(errs);
  return dedupe(commonCreate(obj, opts.namespaced));
}

/**
 * The errors of replacing `old` by `obj`, through `opts.subresource` when one is named. As
 * in Kubernetes, the caller first copies what an update may not touch from `old`
 * (resourceVersion when unset, uid, creationTimestamp, status for the main resource,
 * the spec for `status`, allocated cluster IPs and node ports).
 */
export function validateUpdate(
  group: string,
  version: string,
  kind: string,
  obj: KubeObject,
  old: KubeObject,
  opts: UpdateValidationOptions,
): FieldError[] {
  const errs = commonUpdate(obj, old, opts.namespaced);
  const subresource = opts.subresource ?? '';
  return dedupe(
    errs.concat(
      subresource === ''
        ? kindUpdate(group, version, kind, obj, old, opts.namespaced)
        : kindSubresourceUpdate(group, version, kind, obj, old, opts.namespaced, subresource),
    ),
  );
}

/** Errors of a write to the `status` subresource. */
export function validateStatusUpdate(
  group: string,
  version: string,
  kind: string,
  obj: KubeObject,
  old: KubeObject,
  opts: ValidationOptions,
): FieldError[] {
  return validateUpdate(group, version, kind, obj, old, { ...opts, subresource: 'status' });
}

export {
  errorBody,
  errorString,
  fieldErrorCauses,
  formatFieldErrors,
  qualifiedKind,
} from './format.ts';
export {
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  milliValue,
  parseQuantity,
  quantityError,
  quantityValue,
  QuantityError,
  roundUpQuantity,
  tryParseQuantity,
  type Quantity,
  type QuantityFormat,
} from '../quantity.ts';
export { nodePortRangeErrors } from './service-ips.ts';
