// apps/v1 workloads and the core ReplicationController. Selector immutability on update
// is the registry strategies' rule for apps/v1 and is applied here as well.

import type { FieldError } from '../types.ts';
import {
  NOT_MATCH,
  intOrPercentValue,
  notMoreThan100,
  templateLabels,
  validatePositiveIntOrPercent,
} from './workload-common.ts';
import { validateStatefulSetSpec } from './statefulset.ts';
import {
  arr,
  child,
  forbidden,
  invalid,
  notSupported,
  num,
  obj,
  required,
  str,
  type Obj,
} from './field.ts';
import { goIntOrString, goLabelSelector, goRaw, goStringMap } from './go-format.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import {
  validateImmutable,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './objectmeta.ts';
import { validatePodTemplateSpec } from './pod-spec.ts';
import { labelSelectorAsSelector, labelsOf, validateLabelSelector } from './selector.ts';

/** Selector required, non-empty, and matching the template's labels. */
function validateSelectorAndTemplate(spec: Obj, path: string, what: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = obj(spec.selector);
  if (!sel) {
    errs.push(required(child(path, 'selector')));
  } else {
    errs.push(...validateLabelSelector(sel, child(path, 'selector')));
    if (Object.keys(obj(sel.matchLabels) ?? {}).length + arr(sel.matchExpressions).length === 0) {
      errs.push(
        invalid(
          child(path, 'selector'),
          goLabelSelector(sel),
          `empty selector is invalid for ${what}`,
        ),
      );
    }
  }
  return errs;
}

function matchTemplate(spec: Obj, path: string): FieldError[] {
  const selector = labelSelectorAsSelector(spec.selector ?? null);
  if (!selector)
    return [
      invalid(child(path, 'selector'), goLabelSelector(spec.selector), 'invalid label selector'),
    ];
  const labels = templateLabels(spec);
  if (!selector.empty && !selector.matches(labelsOf(labels))) {
    return [invalid(child(path, 'template', 'metadata', 'labels'), goStringMap(labels), NOT_MATCH)];
  }
  return [];
}

/** ValidatePodTemplateSpecForReplicaSet's extra rules for long-running workloads. */
function restartAlwaysOnly(spec: Obj, path: string, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const podSpec = obj(obj(spec.template)?.spec) ?? {};
  const rp = str(podSpec.restartPolicy);
  if (rp !== 'Always')
    errs.push(notSupported(child(path, 'template', 'spec', 'restartPolicy'), rp, ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        child(path, 'template', 'spec', 'activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errs;
}

function validateReplicaSetLikeSpec(spec: Obj, path: string, kind: string): FieldError[] {
  const errs = validateNonnegative(spec.replicas, child(path, 'replicas'));
  if (kind === 'ReplicaSet')
    errs.push(...validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...validateSelectorAndTemplate(spec, path, 'deployment'));
  const m = matchTemplate(spec, path);
  errs.push(...m);
  if (!m.some((e) => e.field === child(path, 'selector'))) {
    errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
    errs.push(...restartAlwaysOnly(spec, path, 'ReplicaSet'));
  }
  return errs;
}

function validateDeploymentStrategy(strategy: Obj, path: string): FieldError[] {
  const type = str(strategy.type);
  const ru = obj(strategy.rollingUpdate);
  if (type === 'Recreate') {
    return ru
      ? [
          forbidden(
            child(path, 'rollingUpdate'),
            "may not be specified when strategy `type` is 'Recreate'",
          ),
        ]
      : [];
  }
  if (type === 'RollingUpdate') {
    if (!ru)
      return [required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
    const rp = child(path, 'rollingUpdate');
    const errs = validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable'));
    errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')));
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
      errs.push(
        invalid(
          child(rp, 'maxUnavailable'),
          goIntOrString(ru.maxUnavailable ?? 0),
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
    errs.push(...notMoreThan100(ru.maxUnavailable, child(rp, 'maxUnavailable')));
    return errs;
  }
  const shown = goRaw(
    `apps.DeploymentStrategy{Type:"${type}", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`,
  );
  return [notSupported(path, shown, ['Recreate', 'RollingUpdate'])];
}

function validateDeploymentSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateNonnegative(spec.replicas, child(path, 'replicas'));
  errs.push(...validateSelectorAndTemplate(spec, path, 'deployment'));
  const m = matchTemplate(spec, path);
  errs.push(...m);
  if (!m.some((e) => e.field === child(path, 'selector'))) {
    errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
    errs.push(...restartAlwaysOnly(spec, path, 'ReplicaSet'));
  }
  errs.push(...validateDeploymentStrategy(obj(spec.strategy) ?? {}, child(path, 'strategy')));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child(path, 'revisionHistoryLimit')));
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...validateNonnegative(pds, child(path, 'progressDeadlineSeconds')));
    if (pds <= (num(spec.minReadySeconds) ?? 0)) {
      errs.push(
        invalid(
          child(path, 'progressDeadlineSeconds'),
          pds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

function validateDaemonSetSpec(spec: Obj, path: string): FieldError[] {
  const errs = validateLabelSelector(spec.selector, child(path, 'selector'));
  const selector = labelSelectorAsSelector(spec.selector ?? null);
  const labels = templateLabels(spec);
  if (selector && !selector.matches(labelsOf(labels))) {
    errs.push(
      invalid(child(path, 'template', 'metadata', 'labels'), goStringMap(labels), NOT_MATCH),
    );
  }
  const sel = obj(spec.selector);
  if (
    sel &&
    Object.keys(obj(sel.matchLabels) ?? {}).length + arr(sel.matchExpressions).length === 0
  ) {
    errs.push(
      invalid(
        child(path, 'selector'),
        goLabelSelector(sel),
        'empty selector is invalid for daemonset',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
  errs.push(...restartAlwaysOnly(spec, path, 'DaemonSet'));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  const us = obj(spec.updateStrategy) ?? {};
  const usPath = child(path, 'updateStrategy');
  const type = str(us.type);
  if (type === 'RollingUpdate') {
    const ru = obj(us.rollingUpdate);
    if (!ru) {
      errs.push(required(child(usPath, 'rollingUpdate')));
    } else {
      const rp = child(usPath, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')));
      errs.push(...notMoreThan100(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...notMoreThan100(ru.maxSurge, child(rp, 'maxSurge')));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(
          invalid(
            child(rp, 'maxSurge'),
            goIntOrString(ru.maxSurge),
            'may not be set when maxUnavailable is non-zero',
          ),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(required(child(rp, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
    }
  } else if (type !== 'OnDelete') {
    const shown = goRaw(
      `apps.DaemonSetUpdateStrategy{Type:"${type}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`,
    );
    errs.push(notSupported(usPath, shown, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child(path, 'revisionHistoryLimit')));
  return errs;
}

type SpecFn = (spec: Obj, path: string) => FieldError[];

const SPECS: Record<string, { nameFn: typeof nameIsDNSSubdomain; spec: SpecFn }> = {
  Deployment: { nameFn: nameIsDNSSubdomain, spec: validateDeploymentSpec },
  ReplicaSet: {
    nameFn: nameIsDNSSubdomain,
    spec: (s, p) => validateReplicaSetLikeSpec(s, p, 'ReplicaSet'),
  },
  DaemonSet: { nameFn: nameIsDNSSubdomain, spec: validateDaemonSetSpec },
  StatefulSet: { nameFn: nameIsDNSLabel, spec: validateStatefulSetSpec },
};

export function validateAppsCreate(kind: string, o: Obj): FieldError[] {
  const s = SPECS[kind];
  const errs = validateObjectMeta(o.metadata, true, s.nameFn);
  return errs.concat(s.spec(obj(o.spec) ?? {}, 'spec'));
}

const STS_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export function validateAppsUpdate(kind: string, o: Obj, old: Obj): FieldError[] {
  const spec = obj(o.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  errs.push(...SPECS[kind].spec(spec, 'spec'));
  if (kind === 'StatefulSet') {
    const a = { ...spec };
    const b = { ...oldSpec };
    for (const f of STS_MUTABLE) {
      delete a[f];
      delete b[f];
    }
    if (validateImmutable(a, b, 'spec').length > 0) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  if (kind !== 'StatefulSet') {
    errs.push(
      ...validateImmutable(
        spec.selector,
        oldSpec.selector,
        'spec.selector',
        goLabelSelector(spec.selector),
      ),
    );
  }
  return errs;
}
