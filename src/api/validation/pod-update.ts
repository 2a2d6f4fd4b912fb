// Pod updates: only images, activeDeadlineSeconds, added tolerations and removed
// scheduling gates may change; through the ephemeralcontainers subresource, ephemeral
// containers may be added.

import type { FieldError } from '../types.ts';
import { annotationUpdateErrors, validatePodMetadataAndSpec } from './pod.ts';
import {
  arr,
  child,
  deepEqual,
  forbidden,
  index,
  invalid,
  isObj,
  num,
  obj,
  objs,
  required,
  str,
  type Obj,
} from './field.ts';
import { goStringMap } from './go-format.ts';
import { inclusiveRangeError } from './names.ts';
import { validateObjectMetaUpdate } from './objectmeta.ts';
import { validateTolerations } from './pod-scheduling.ts';
import { isValidDeletionCost, type PodSpecOptions } from './pod-spec.ts';

function containerUpdates(
  newList: unknown,
  oldList: unknown,
  path: string,
): { errs: FieldError[]; stop: boolean } {
  if (arr(newList).length !== arr(oldList).length) {
    return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  }
  const errs: FieldError[] = [];
  objs(newList).forEach((c, i) => {
    const image = str(c.image);
    if (image === '') errs.push(required(child(index(path, i), 'image')));
    if (image.trim() !== image) {
      errs.push(
        invalid(
          child(index(path, i), 'image'),
          image,
          'must not have leading or trailing whitespace',
        ),
      );
    }
  });
  return { errs, stop: false };
}

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** A short stand-in for the cmp.Diff Kubernetes appends: one -/+ pair per changed field. */
function specDiff(oldSpec: Obj, newSpec: Obj, type = 'core.PodSpec'): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = [`  ${type}{`];
  for (const k of keys) {
    if (deepEqual(oldSpec[k], newSpec[k])) continue;
    const field = k[0].toUpperCase() + k.slice(1);
    lines.push(`- \t${field}: ${JSON.stringify(oldSpec[k] ?? null)},`);
    lines.push(`+ \t${field}: ${JSON.stringify(newSpec[k] ?? null)},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function onlyAddedTolerations(newT: unknown, oldT: unknown): FieldError[] {
  for (const old of objs(oldT)) {
    const found = objs(newT).some((t) =>
      deepEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t),
    );
    if (!found)
      return [
        forbidden(
          'spec.tolerations',
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      ];
  }
  return validateTolerations(newT, 'spec.tolerations');
}

function onlyDeletedSchedulingGates(newG: unknown, oldG: unknown): FieldError[] {
  const oldNames = new Set(objs(oldG).map((g) => str(g.name)));
  const errs: FieldError[] = [];
  objs(newG).forEach((g, i) => {
    const name = str(g.name);
    if (!oldNames.has(name)) {
      errs.push(
        forbidden(
          `spec.schedulingGates[${i}].name`,
          `only deletion is allowed, but found new scheduling gate '${name}'`,
        ),
      );
    }
  });
  return errs;
}

export function validatePodUpdate(pod: Obj, old: Obj): FieldError[] {
  const meta = obj(pod.metadata) ?? {};
  const oldMeta = obj(old.metadata) ?? {};
  const spec = obj(pod.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const oldCost = obj(oldMeta.annotations)?.['controller.kubernetes.io/pod-deletion-cost'];
  const opts: PodSpecOptions = {
    resourceIsPod: true,
    allowInvalidPodDeletionCost: typeof oldCost === 'string' && !isValidDeletionCost(oldCost),
  };
  const errs = validateObjectMetaUpdate(meta, oldMeta);
  errs.push(...validatePodMetadataAndSpec(pod, opts));
  errs.push(...annotationUpdateErrors(meta, oldMeta));
  for (const f of ['containers', 'initContainers']) {
    const r = containerUpdates(spec[f], oldSpec[f], `spec.${f}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const newAds = num(spec.activeDeadlineSeconds);
  const oldAds = num(oldSpec.activeDeadlineSeconds);
  if (newAds !== undefined) {
    if (newAds < 0 || newAds > 2147483647) {
      errs.push(invalid('spec.activeDeadlineSeconds', newAds, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (oldAds !== undefined && oldAds < newAds) {
      errs.push(
        invalid(
          'spec.activeDeadlineSeconds',
          newAds,
          'must be less than or equal to previous value',
        ),
      );
      return errs;
    }
  } else if (oldAds !== undefined) {
    errs.push(
      invalid(
        'spec.activeDeadlineSeconds',
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  errs.push(...onlyAddedTolerations(spec.tolerations, oldSpec.tolerations));
  if (arr(spec.schedulingGates).length > 0) {
    errs.push(...onlyDeletedSchedulingGates(spec.schedulingGates, oldSpec.schedulingGates));
  }
  if (deepEqual(spec, oldSpec)) return errs;
  const munged: Obj = structuredClone(spec);
  for (const f of ['containers', 'initContainers']) {
    if (Array.isArray(munged[f])) {
      munged[f] = (munged[f] as unknown[]).map((c, i) =>
        isObj(c) ? { ...c, image: objs(oldSpec[f])[i]?.image } : c,
      );
    }
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = num(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (
    arr(oldSpec.schedulingGates).length > 0 &&
    !deepEqual(munged.nodeSelector, oldSpec.nodeSelector)
  ) {
    const ns = obj(munged.nodeSelector) ?? {};
    const ons = obj(oldSpec.nodeSelector) ?? {};
    if (Object.keys(ons).some((k) => ns[k] !== ons[k])) {
      errs.push(
        invalid(
          'spec.nodeSelector',
          goStringMap(munged.nodeSelector),
          'only additions to spec.nodeSelector are allowed (no mutations or deletions)',
        ),
      );
    }
    munged.nodeSelector = oldSpec.nodeSelector;
  }
  if (!deepEqual(munged, oldSpec)) {
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`,
      ),
    );
  }
  return errs;
}

/**
 * ValidatePodEphemeralContainersUpdate: a write to `pods/<name>/ephemeralcontainers` may
 * add ephemeral containers, never remove or change one (order aside: patches do not keep
 * it). The rest of the pod is the stored one, which the subresource does not change.
 */
export function validatePodEphemeralContainersUpdate(pod: Obj, old: Obj): FieldError[] {
  const meta = obj(pod.metadata) ?? {};
  const oldMeta = obj(old.metadata) ?? {};
  const errs = validateObjectMetaUpdate(meta, oldMeta);
  errs.push(...validatePodMetadataAndSpec(pod, { resourceIsPod: true }));
  errs.push(...annotationUpdateErrors(meta, oldMeta));
  if (obj(oldMeta.annotations)?.['kubernetes.io/config.mirror'] !== undefined) {
    return [forbidden('', 'static pods do not support ephemeral containers')];
  }
  const path = 'spec.ephemeralContainers';
  const byName = new Map(objs(obj(pod.spec)?.ephemeralContainers).map((c) => [str(c.name), c]));
  for (const before of objs(obj(old.spec)?.ephemeralContainers)) {
    const name = str(before.name);
    const now = byName.get(name);
    if (!now) {
      errs.push(forbidden(path, `existing ephemeral containers "${name}" may not be removed\n`));
    } else if (!deepEqual(before, now)) {
      errs.push(
        forbidden(
          child(path, name),
          `existing ephemeral containers "${name}" may not be changed\n${specDiff(before, now, 'core.EphemeralContainer')}`,
        ),
      );
    }
  }
  return errs;
}
