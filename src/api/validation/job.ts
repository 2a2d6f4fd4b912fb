// batch/v1: Job and CronJob.

import type { FieldError } from '../types.ts';
import { validatePodFailurePolicy } from './job-failure-policy.ts';
import {
  child,
  deepEqual,
  forbidden,
  invalid,
  notSupported,
  num,
  obj,
  required,
  str,
  type Obj,
} from './field.ts';
import { goLabelSelector, goRaw, goStringMap } from './go-format.ts';
import { isDNS1123Label, nameIsDNSSubdomain } from './names.ts';
import {
  validateImmutable,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';
import { validatePodTemplateSpec } from './pod-spec.ts';
import { labelSelectorAsSelector, labelsOf, validateLabelSelector } from './selector.ts';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** validateJobSpec: everything but the selector (shared with CronJob templates). */
export function validateJobSpecBody(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    errs.push(...validateNonnegative(spec[f], child(path, f)));
  }
  const mode = spec.completionMode;
  const indexed = mode === 'Indexed';
  if (num(spec.backoffLimitPerIndex) !== undefined) {
    errs.push(
      ...validateNonnegative(spec.backoffLimitPerIndex, child(path, 'backoffLimitPerIndex')),
    );
    if (!indexed) {
      errs.push(
        invalid(
          child(path, 'backoffLimitPerIndex'),
          num(spec.backoffLimitPerIndex),
          'requires indexed completion mode',
        ),
      );
    }
  }
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      errs.push(notSupported(child(path, 'completionMode'), str(mode), ['NonIndexed', 'Indexed']));
    }
    if (indexed) {
      if (num(spec.completions) === undefined)
        errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
      const par = num(spec.parallelism);
      if (par !== undefined && par > 100000) {
        errs.push(
          invalid(
            child(path, 'parallelism'),
            par,
            'must be less than or equal to 100000 when completion mode is Indexed',
          ),
        );
      }
    }
  }
  const pfp = obj(spec.podFailurePolicy);
  if (pfp) errs.push(...validatePodFailurePolicy(spec, pfp, child(path, 'podFailurePolicy')));
  if (spec.podReplacementPolicy !== undefined && spec.podReplacementPolicy !== null) {
    const prp = str(spec.podReplacementPolicy);
    if (pfp && prp !== 'Failed')
      errs.push(notSupported(child(path, 'podReplacementPolicy'), prp, ['Failed']));
    else if (!pfp && prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(
        notSupported(child(path, 'podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']),
      );
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
  const rp = str(obj(obj(spec.template)?.spec)?.restartPolicy);
  const rpPath = child(path, 'template', 'spec', 'restartPolicy');
  if (rp === 'Always' || rp === '')
    errs.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never')
    errs.push(notSupported(rpPath, rp, ['OnFailure', 'Never']));
  else if (pfp && rp !== 'Never')
    errs.push(invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJobSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateJobSpecBody(spec, path);
  if (!obj(spec.selector)) errs.push(required(child(path, 'selector')));
  else errs.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
  const selector = labelSelectorAsSelector(spec.selector ?? null);
  const labels = obj(obj(spec.template)?.metadata)?.labels;
  if (selector && !selector.matches(labelsOf(labels))) {
    errs.push(
      invalid(
        child(path, 'template', 'metadata', 'labels'),
        goStringMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return errs;
}

function hasLabel(labels: unknown, key: string, expected: string): FieldError[] {
  const l = obj(labels) ?? {};
  const path = `spec.template.metadata.labels[${key}]`;
  if (!(key in l)) return [required(path, `must be '${expected}'`)];
  return l[key] !== expected ? [invalid(path, goStringMap(labels), `must be '${expected}'`)] : [];
}

/** ValidateGeneratedSelector: the labels the API server put on the template must be intact. */
function validateGeneratedSelector(job: Obj): FieldError[] {
  const spec = obj(job.spec) ?? {};
  if (spec.manualSelector === true || !obj(spec.selector)) return [];
  const meta = obj(job.metadata) ?? {};
  const uid = str(meta.uid);
  const name = str(meta.name);
  const errs: FieldError[] = uid === '' ? [required('metadata.uid')] : [];
  const labels = obj(obj(spec.template)?.metadata)?.labels;
  errs.push(
    ...hasLabel(labels, LEGACY_CONTROLLER_UID_LABEL, uid),
    ...hasLabel(labels, LEGACY_JOB_NAME_LABEL, name),
  );
  errs.push(
    ...hasLabel(labels, CONTROLLER_UID_LABEL, uid),
    ...hasLabel(labels, JOB_NAME_LABEL, name),
  );
  const expected = {
    [CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_NAME_LABEL]: name,
  };
  const selector = labelSelectorAsSelector(spec.selector);
  if (selector && !selector.matches(expected)) {
    errs.push(
      invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'),
    );
  }
  return errs;
}

export function validateJobCreate(job: Obj): FieldError[] {
  const meta = obj(job.metadata) ?? {};
  const spec = obj(job.spec) ?? {};
  const errs = validateObjectMeta(meta, true, nameIsDNSSubdomain);
  errs.push(...validateGeneratedSelector(job));
  errs.push(...validateJobSpec(spec, 'spec'));
  if ('batch.kubernetes.io/job-tracking' in (obj(meta.annotations) ?? {})) {
    errs.push(
      forbidden(
        'metadata.annotations[batch.kubernetes.io/job-tracking]',
        'cannot add this annotation',
      ),
    );
  }
  const completions = num(spec.completions);
  if (spec.completionMode === 'Indexed' && completions !== undefined && completions > 0) {
    const host = `${str(meta.name)}-${completions - 1}`;
    if (isDNS1123Label(host).length > 0) {
      errs.push(
        invalid(
          'metadata.name',
          str(meta.name),
          `will not able to create pod with invalid DNS label: ${host}`,
        ),
      );
    }
  }
  return errs;
}

function goTemplate(): unknown {
  return goRaw('core.PodTemplateSpec{...}');
}

export function validateJobUpdate(job: Obj, old: Obj): FieldError[] {
  const spec = obj(job.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  errs.push(...validateJobSpec(spec, 'spec'));
  if (spec.completionMode === 'Indexed') {
    if (
      !deepEqual(spec.completions, oldSpec.completions) &&
      num(spec.completions) !== undefined &&
      spec.completions !== spec.parallelism
    ) {
      errs.push(
        invalid(
          'spec.completions',
          num(spec.completions),
          'can only be modified in tandem with spec.parallelism',
        ),
      );
    }
  } else {
    errs.push(
      ...validateImmutable(
        spec.completions ?? null,
        oldSpec.completions ?? null,
        'spec.completions',
      ),
    );
  }
  errs.push(
    ...validateImmutable(
      spec.selector,
      oldSpec.selector,
      'spec.selector',
      goLabelSelector(spec.selector),
    ),
  );
  const tpl = structuredClone(obj(spec.template) ?? {});
  const oldTpl = structuredClone(obj(oldSpec.template) ?? {});
  const suspendedNeverStarted = spec.suspend === true && !obj(old.status)?.startTime;
  if (suspendedNeverStarted) {
    const ts = (obj(tpl.spec) ?? {}) as Obj;
    const os = (obj(oldTpl.spec) ?? {}) as Obj;
    for (const f of ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates']) os[f] = ts[f];
    oldTpl.spec = os;
    const om = (obj(oldTpl.metadata) ?? {}) as Obj;
    om.labels = obj(tpl.metadata)?.labels;
    om.annotations = obj(tpl.metadata)?.annotations;
    oldTpl.metadata = om;
  }
  errs.push(...validateImmutable(tpl, oldTpl, 'spec.template', goTemplate()));
  for (const f of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
  ]) {
    errs.push(...validateImmutable(spec[f] ?? null, oldSpec[f] ?? null, `spec.${f}`));
  }
  return errs;
}
