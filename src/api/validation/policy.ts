// PodDisruptionBudget (policy/v1), PriorityClass (scheduling.k8s.io/v1),
// HorizontalPodAutoscaler (autoscaling/v1 and v2) and Lease (coordination.k8s.io/v1).

import type { FieldError } from '../types.ts';
import {
  child,
  forbidden,
  index,
  invalid,
  notSupported,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { goIntOrString, goRaw } from './go-format.ts';
import { isValidPercent, nameIsDNSSubdomain, pathSegmentName } from './names.ts';
import {
  validateImmutable,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';
import { validateLabelSelector } from './selector.ts';

function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') {
    const errs = isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
    if (errs.length === 0 && Number(v.slice(0, -1)) > 100) {
      errs.push(invalid(path, goIntOrString(v), 'must not be greater than 100%'));
    }
    return errs;
  }
  return typeof v === 'number' ? validateNonnegative(v, path) : [];
}

function validatePDBSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const has = (f: string) => spec[f] !== undefined && spec[f] !== null;
  if (has('minAvailable') && has('maxUnavailable')) {
    errs.push(
      invalid(
        'spec',
        goRaw('policy.PodDisruptionBudgetSpec{...}'),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  }
  if (has('minAvailable'))
    errs.push(...validateIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  if (has('maxUnavailable'))
    errs.push(...validateIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (has('unhealthyPodEvictionPolicy')) {
    const p = str(spec.unhealthyPodEvictionPolicy);
    if (p !== 'AlwaysAllow' && p !== 'IfHealthyBudget') {
      errs.push(
        notSupported('spec.unhealthyPodEvictionPolicy', p, ['AlwaysAllow', 'IfHealthyBudget']),
      );
    }
  }
  return errs;
}

/** PDBs only get the generic name checks, run by validateCreate once the spec is valid. */
export function validatePDBCreate(pdb: Obj): FieldError[] {
  return validatePDBSpec(obj(pdb.spec) ?? {});
}

export function validatePDBUpdate(pdb: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(pdb.metadata, old.metadata).concat(
    validatePDBSpec(obj(pdb.spec) ?? {}),
  );
}

const SYSTEM_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

export function validatePriorityClassCreate(pc: Obj): FieldError[] {
  const meta = obj(pc.metadata) ?? {};
  const errs = validateObjectMeta(meta, false, nameIsDNSSubdomain);
  const name = str(meta.name);
  const value = num(pc.value) ?? 0;
  if (name.startsWith('system-')) {
    const known = SYSTEM_CLASSES[name];
    let why = '';
    if (known === undefined) why = `${name} is not a known system priority class`;
    else if (known !== value) why = `value of ${name} PriorityClass must be ${known}`;
    else if (pc.globalDefault === true)
      why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) {
      errs.push(
        forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`,
        ),
      );
    }
  } else if (value > 1000000000) {
    errs.push(forbidden('value', 'maximum allowed value of a user defined priority is 1000000000'));
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null) {
    const p = str(pc.preemptionPolicy);
    if (p === '') errs.push(required('preemptionPolicy'));
    else if (p !== 'PreemptLowerPriority' && p !== 'Never') {
      errs.push(notSupported('preemptionPolicy', p, ['PreemptLowerPriority', 'Never']));
    }
  }
  return errs;
}

export function validatePriorityClassUpdate(pc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pc.metadata, old.metadata);
  if ((num(pc.value) ?? 0) !== (num(old.value) ?? 0))
    errs.push(forbidden('value', 'may not be changed in an update.'));
  return errs.concat(
    validateImmutable(
      pc.preemptionPolicy ?? null,
      old.preemptionPolicy ?? null,
      'preemptionPolicy',
    ),
  );
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const TARGET_TYPES = ['AverageValue', 'Utilization', 'Value'];

function validateMetric(m: Obj, path: string): FieldError[] {
  const type = str(m.type);
  if (type === '') return [required(child(path, 'type'), 'must specify a metric source type')];
  if (!METRIC_TYPES.includes(type)) return [notSupported(child(path, 'type'), type, METRIC_TYPES)];
  const key = type[0].toLowerCase() + type.slice(1);
  const source = obj(m[key]);
  if (!source)
    return [required(child(path, key), `must populate information for the given metric source`)];
  const errs: FieldError[] = [];
  const sp = child(path, key);
  if ((type === 'Resource' || type === 'ContainerResource') && str(source.name) === '') {
    errs.push(required(child(sp, 'name'), 'must specify a resource name'));
  }
  if (type === 'ContainerResource' && str(source.container) === '') {
    errs.push(required(child(sp, 'container'), 'must specify a container'));
  }
  const target = obj(source.target);
  if (!target) return errs.concat(required(child(sp, 'target'), 'must specify a metric target'));
  const tt = str(target.type);
  if (tt === '')
    errs.push(required(child(sp, 'target', 'type'), 'must specify a metric target type'));
  else if (!TARGET_TYPES.includes(tt))
    errs.push(notSupported(child(sp, 'target', 'type'), tt, TARGET_TYPES));
  const util = num(target.averageUtilization);
  if (util !== undefined && util < 1) {
    errs.push(invalid(child(sp, 'target', 'averageUtilization'), util, 'must be greater than 0'));
  }
  return errs;
}

function validateHPASpec(spec: Obj, version: string): FieldError[] {
  const errs: FieldError[] = [];
  const min = num(spec.minReplicas);
  const max = num(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1)
    errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) {
    errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  const ref = obj(spec.scaleTargetRef) ?? {};
  const refErrs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = str(ref[f]);
    if (v === '') refErrs.push(required(`spec.scaleTargetRef.${f}`));
    else
      for (const m of pathSegmentName(v, false))
        refErrs.push(invalid(`spec.scaleTargetRef.${f}`, v, m));
  }
  if (refErrs.length > 0) return errs.concat(refErrs);
  if (version === 'v1') {
    const cpu = num(spec.targetCPUUtilizationPercentage);
    if (cpu !== undefined && cpu < 1) {
      errs.push(
        invalid(
          'spec.metrics[0].resource.target.averageUtilization',
          cpu,
          'must be greater than 0',
        ),
      );
    }
    return errs;
  }
  objs(spec.metrics).forEach((m, i) => errs.push(...validateMetric(m, index('spec.metrics', i))));
  return errs;
}

export function validateHPACreate(hpa: Obj, version: string): FieldError[] {
  const errs = validateObjectMeta(hpa.metadata, true, nameIsDNSSubdomain);
  return errs.concat(validateHPASpec(obj(hpa.spec) ?? {}, version));
}

export function validateHPAUpdate(hpa: Obj, old: Obj, version: string): FieldError[] {
  return validateObjectMetaUpdate(hpa.metadata, old.metadata).concat(
    validateHPASpec(obj(hpa.spec) ?? {}, version),
  );
}

function validateLeaseSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const duration = num(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0) {
    errs.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = num(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) {
    errs.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateLeaseCreate(lease: Obj): FieldError[] {
  return validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain).concat(
    validateLeaseSpec(obj(lease.spec) ?? {}),
  );
}

export function validateLeaseUpdate(lease: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(lease.metadata, old.metadata).concat(
    validateLeaseSpec(obj(lease.spec) ?? {}),
  );
}
