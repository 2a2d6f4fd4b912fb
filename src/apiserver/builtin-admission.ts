import type { ResourceType } from '../api/index.ts';
import { applyDefaults } from '../api/defaults/index.ts';
import { formatFieldErrors, validateCreate, validateUpdate } from '../api/validation/index.ts';
import {
  admitDefaultTolerationSeconds,
  type DefaultTolerationSecondsOptions,
} from './default-toleration-seconds.ts';
import type { Admission } from './storage/admission.ts';

// Defaulting and validation of the built-in kinds, as kube-apiserver applies them, with
// the configurable part of its standard pod admission (DefaultTolerationSeconds).

export interface BuiltinAdmissionOptions {
  /** --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds. */
  defaultTolerationSeconds?: DefaultTolerationSecondsOptions;
}

export function newBuiltinAdmission(opts: BuiltinAdmissionOptions = {}): Admission {
  return {
    applyDefaults(type, obj) {
      // Before the kind's defaults, which would otherwise add the tolerations with 300 s.
      if (type.group === '' && type.kind === 'Pod') {
        admitDefaultTolerationSeconds(obj, opts.defaultTolerationSeconds);
      }
      applyDefaults(type.group, type.version, type.kind, obj);
    },
    validateCreate(type, obj) {
      return validateCreate(type.group, type.version, type.kind, obj, {
        namespaced: type.namespaced,
      });
    },
    validateUpdate(type, obj, old, subresource) {
      return validateUpdate(type.group, type.version, type.kind, obj, old, {
        namespaced: type.namespaced,
        subresource: subresource ?? '',
      });
    },
    formatErrors(type: ResourceType, name, errors) {
      return formatFieldErrors(type.kind, name, errors, type.group);
    },
  };
}

export const builtinAdmission: Admission = newBuiltinAdmission();
