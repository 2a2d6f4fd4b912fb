// The core ReplicationController and apps/v1 ControllerRevision.

import type { FieldError } from '../types.ts';
import { NOT_MATCH } from './workload-common.ts';
import { child, forbidden, invalid, notSupported, obj, required, str, type Obj } from './field.ts';
import { goRaw, goStringMap } from './go-format.ts';
import { nameIsDNSSubdomain } from './names.ts';
import {
  validateImmutable,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';
import { validatePodTemplateSpec } from './pod-spec.ts';
import { mapSelectorMatches } from './selector.ts';

function validateRCSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds'));
  const selector = obj(spec.selector) ?? {};
  if (Object.keys(selector).length === 0) errs.push(required(child(path, 'selector')));
  errs.push(...validateNonnegative(spec.replicas, child(path, 'replicas')));
  const tplPath = child(path, 'template');
  const tpl = obj(spec.template);
  if (!tpl) return errs.concat(required(tplPath));
  const labels = obj(tpl.metadata)?.labels;
  if (Object.keys(selector).length > 0 && !mapSelectorMatches(selector, labels)) {
    errs.push(invalid(child(tplPath, 'metadata', 'labels'), goStringMap(labels), NOT_MATCH));
  }
  errs.push(...validatePodTemplateSpec(tpl, tplPath));
  const podSpec = obj(tpl.spec) ?? {};
  const rp = str(podSpec.restartPolicy);
  if (rp !== 'Always')
    errs.push(notSupported(child(tplPath, 'spec', 'restartPolicy'), rp, ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        child(tplPath, 'spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in ReplicationController is not Supported',
      ),
    );
  }
  return errs;
}

export function validateReplicationControllerCreate(o: Obj): FieldError[] {
  return validateObjectMeta(o.metadata, true, nameIsDNSSubdomain).concat(
    validateRCSpec(obj(o.spec) ?? {}, 'spec'),
  );
}

export function validateReplicationControllerUpdate(o: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(o.metadata, old.metadata).concat(
    validateRCSpec(obj(o.spec) ?? {}, 'spec'),
  );
}

export function validateControllerRevisionCreate(o: Obj): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateNonnegative(o.revision, 'revision'));
  if (o.data === undefined || o.data === null) errs.push(required('data', 'data is mandatory'));
  else if (!obj(o.data)) errs.push(required('data', 'data must be a valid JSON object'));
  return errs;
}

export function validateControllerRevisionUpdate(o: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain));
  errs.push(...validateNonnegative(o.revision, 'revision'));
  return errs.concat(
    validateImmutable(o.data, old.data, 'data', goRaw('runtime.RawExtension{...}')),
  );
}
