// apps/v1 StatefulSet.

import type { FieldError } from '../types.ts';
import {
  NOT_MATCH,
  intOrPercentValue,
  notMoreThan100,
  validatePositiveIntOrPercent,
} from './workload-common.ts';
import {
  arr,
  child,
  forbidden,
  invalid,
  notSupported,
  obj,
  required,
  str,
  type Obj,
} from './field.ts';
import { goIntOrString, goLabelSelector, goRaw, goStringMap } from './go-format.ts';
import { validateAnnotations, validateLabels, validateNonnegative } from './objectmeta.ts';
import { validatePodSpecificAnnotations } from './pod-spec.ts';
import { labelSelectorAsSelector, labelsOf, validateLabelSelector } from './selector.ts';

export function validateStatefulSetSpec(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (pmp === '') errs.push(required(child(path, 'podManagementPolicy')));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(
      invalid(child(path, 'podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"),
    );
  }
  const us = obj(spec.updateStrategy) ?? {};
  const type = str(us.type);
  const ru = obj(us.rollingUpdate);
  const usPath = child(path, 'updateStrategy');
  if (type === '') errs.push(required(usPath));
  else if (type === 'OnDelete') {
    if (ru) {
      errs.push(
        invalid(
          child(usPath, 'rollingUpdate'),
          goRaw('&apps.RollingUpdateStatefulSetStrategy{...}'),
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (type === 'RollingUpdate') {
    if (ru) {
      const rp = child(usPath, 'rollingUpdate');
      errs.push(...validateNonnegative(ru.partition, child(rp, 'partition')));
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
        if (intOrPercentValue(ru.maxUnavailable) === 0) {
          errs.push(
            invalid(child(rp, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'cannot be 0'),
          );
        }
        errs.push(...notMoreThan100(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      }
    }
  } else {
    errs.push(
      invalid(
        usPath,
        goRaw(
          `apps.StatefulSetUpdateStrategy{Type:"${type}", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`,
        ),
        "must be 'RollingUpdate' or 'OnDelete'",
      ),
    );
  }
  const retention = obj(spec.persistentVolumeClaimRetentionPolicy);
  if (retention) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(retention[f]);
      if (v !== 'Retain' && v !== 'Delete') {
        errs.push(
          notSupported(child(path, 'persistentVolumeClaimRetentionPolicy', f), v, [
            'Retain',
            'Delete',
          ]),
        );
      }
    }
  }
  errs.push(...validateNonnegative(spec.replicas, child(path, 'replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  const ordinals = obj(spec.ordinals);
  if (ordinals) errs.push(...validateNonnegative(ordinals.start, child(path, 'ordinals.start')));
  const sel = obj(spec.selector);
  if (!sel) errs.push(required(child(path, 'selector')));
  else {
    errs.push(...validateLabelSelector(sel, child(path, 'selector')));
    if (Object.keys(obj(sel.matchLabels) ?? {}).length + arr(sel.matchExpressions).length === 0) {
      errs.push(
        invalid(
          child(path, 'selector'),
          goLabelSelector(sel),
          'empty selector is invalid for statefulset',
        ),
      );
    }
  }
  const selector = labelSelectorAsSelector(spec.selector ?? null);
  const tplPath = child(path, 'template');
  if (!selector) {
    errs.push(invalid(child(path, 'selector'), goLabelSelector(spec.selector), ''));
  } else {
    const tpl = obj(spec.template) ?? {};
    const meta = obj(tpl.metadata) ?? {};
    if (!selector.empty && !selector.matches(labelsOf(meta.labels))) {
      errs.push(invalid(child(tplPath, 'metadata', 'labels'), goStringMap(meta.labels), NOT_MATCH));
    }
    errs.push(...validateLabels(meta.labels, child(tplPath, 'labels')));
    errs.push(...validateAnnotations(meta.annotations, child(tplPath, 'annotations')));
    errs.push(
      ...validatePodSpecificAnnotations(
        meta.annotations,
        obj(tpl.spec) ?? {},
        child(tplPath, 'annotations'),
        { resourceIsPod: false },
      ),
    );
  }
  const podSpec = obj(obj(spec.template)?.spec) ?? {};
  const rp = str(podSpec.restartPolicy);
  if (rp !== 'Always')
    errs.push(notSupported(child(tplPath, 'spec', 'restartPolicy'), rp, ['Always']));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        child(tplPath, 'spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  }
  return errs;
}
