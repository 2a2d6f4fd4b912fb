import type { ResourceType } from '../api/index.ts';
import { applyDefaults } from '../api/defaults/index.ts';
import { formatFieldErrors, validateCreate, validateUpdate } from '../api/validation/index.ts';
import type { Admission } from './storage/admission.ts';

// Defaulting and validation of the built-in kinds, as kube-apiserver applies them.

export const builtinAdmission: Admission = {
  applyDefaults(type, obj) {
    applyDefaults(type.group, type.version, type.kind, obj);
  },
  validateCreate(type, obj) {
    return validateCreate(type.group, type.version, type.kind, obj, {
      namespaced: type.namespaced,
    });
  },
  validateUpdate(type, obj, old) {
    return validateUpdate(type.group, type.version, type.kind, obj, old, {
      namespaced: type.namespaced,
    });
  },
  formatErrors(type: ResourceType, name, errors) {
    return formatFieldErrors(type.kind, name, errors, type.group);
  },
};
