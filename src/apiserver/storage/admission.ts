import type { FieldError, KubeObject, ResourceType } from '../../api/index.ts';

// What happens to an object between decoding and storing it: defaulting, then validation.
// Kept behind this small interface so the storage rules do not depend on how each kind
// is defaulted and validated.

export interface Admission {
  /** Fills defaults in place; idempotent. */
  applyDefaults(type: ResourceType, obj: KubeObject): void;
  validateCreate(type: ResourceType, obj: KubeObject): FieldError[];
  /** `subresource`: the one written (`status`, `ephemeralcontainers`, …), '' for the object. */
  validateUpdate(
    type: ResourceType,
    obj: KubeObject,
    old: KubeObject,
    subresource?: string,
  ): FieldError[];
  /** The full Invalid message, e.g. `Pod "x" is invalid: metadata.name: Invalid value: …`. */
  formatErrors(type: ResourceType, name: string, errors: FieldError[]): string;
}
