// batch/v1 defaults (pkg/apis/batch/v1/defaults.go) and the Job strategy's generated
// selector, which needs the Job's uid: call applyDefaults again once the uid is set.

import { defaultPodTemplateSpec } from './pod.ts';
import {
  child,
  each,
  isAbsent,
  isObj,
  maybe,
  setDefault,
  setDefaultIfEmpty,
  type Obj,
} from './util.ts';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** The Job strategy's generateSelector: template labels and a controller-uid selector. */
function generateSelector(job: Obj): void {
  const meta = child(job, 'metadata');
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (uid === '') return;
  const spec = child(job, 'spec');
  const labels = child(child(child(spec, 'template'), 'metadata'), 'labels');
  for (const k of ['job-name', JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of ['controller-uid', CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = uid;
  const matchLabels = child(child(spec, 'selector'), 'matchLabels');
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

export function defaultJob(job: Obj): void {
  const spec = child(job, 'spec');
  if (isAbsent(spec.completions) && isAbsent(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', isAbsent(spec.backoffLimitPerIndex) ? 6 : 2147483647);
  const meta = child(job, 'metadata');
  copyTemplateLabels(meta, spec);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  each(maybe(spec, 'podFailurePolicy')?.rules, (rule) =>
    each(rule.onPodConditions, (c) => setDefaultIfEmpty(c, 'status', 'True')),
  );
  setDefault(
    spec,
    'podReplacementPolicy',
    isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed',
  );
  setDefault(spec, 'manualSelector', false);
  defaultPodTemplateSpec(child(spec, 'template'));
  if (spec.manualSelector !== true) generateSelector(job);
  // Kubernetes defaults again when it reads the stored Job back, so a Job created without
  // labels shows the generated template labels.
  copyTemplateLabels(meta, spec);
}

/** A Job without labels takes its pod template's labels. */
function copyTemplateLabels(meta: Obj, spec: Obj): void {
  const labels = maybe(maybe(maybe(spec, 'template'), 'metadata'), 'labels');
  const hasOwn = isObj(meta.labels) && Object.keys(meta.labels).length > 0;
  if (labels && Object.keys(labels).length > 0 && !hasOwn) meta.labels = { ...labels };
}

export function defaultCronJob(cj: Obj): void {
  const spec = child(cj, 'spec');
  setDefaultIfEmpty(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = child(spec, 'jobTemplate');
  setDefault(child(jobTemplate, 'metadata'), 'creationTimestamp', null);
  defaultPodTemplateSpec(child(child(jobTemplate, 'spec'), 'template'));
}
