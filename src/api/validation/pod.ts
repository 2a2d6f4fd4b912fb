// Pods: create, update (which may only touch a few fields) and status updates; and the
// PodTemplate kind.

import type { FieldError } from '../types.ts';
import {
  arr,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  num,
  obj,
  objs,
  str,
  type Obj,
} from './field.ts';
import { isQualifiedName, isValidIPMessage, nameIsDNSSubdomain } from './names.ts';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { validateImageWhitespace } from './pod-containers.ts';
import {
  validatePodSpec,
  validatePodSpecificAnnotations,
  validatePodTemplateSpec,
  type PodSpecOptions,
} from './pod-spec.ts';

const MIRROR = 'kubernetes.io/config.mirror';

export function validatePodMetadataAndSpec(pod: Obj, opts: PodSpecOptions): FieldError[] {
  const meta = obj(pod.metadata) ?? {};
  const spec = obj(pod.spec) ?? {};
  const errs = validateObjectMeta(meta, true, nameIsDNSSubdomain, 'metadata');
  errs.push(
    ...validatePodSpecificAnnotations(meta.annotations, spec, 'metadata.annotations', opts),
  );
  errs.push(...validatePodSpec(spec, str(meta.name), 'spec', opts));
  if (str(spec.serviceAccountName) === '') {
    objs(spec.volumes).forEach((v, vi) => {
      objs(obj(v.projected)?.sources).forEach((s, si) => {
        if (s.serviceAccountToken) {
          errs.push(
            forbidden(
              `spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`,
              'must not be specified when serviceAccountName is not set',
            ),
          );
        }
      });
    });
  }
  objs(spec.containers).forEach((c, i) =>
    errs.push(...validateImageWhitespace(c, index('spec.containers', i))),
  );
  objs(spec.initContainers).forEach((c, i) =>
    errs.push(...validateImageWhitespace(c, index('spec.initContainers', i))),
  );
  return errs;
}

export function validatePodCreate(pod: Obj): FieldError[] {
  const errs = validatePodMetadataAndSpec(pod, { resourceIsPod: true });
  const spec = obj(pod.spec) ?? {};
  if (arr(spec.ephemeralContainers).length > 0) {
    errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  if (str(spec.nodeName) !== '' && arr(spec.schedulingGates).length > 0) {
    errs.push(
      forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'),
    );
  }
  return errs;
}

export function annotationUpdateErrors(newMeta: Obj, oldMeta: Obj): FieldError[] {
  const na = obj(newMeta.annotations) ?? {};
  const oa = obj(oldMeta.annotations) ?? {};
  const path = `metadata.annotations[${MIRROR}]`;
  if (MIRROR in oa && na[MIRROR] !== oa[MIRROR])
    return [forbidden(path, 'may not remove or update mirror pod annotation')];
  if (MIRROR in na && !(MIRROR in oa))
    return [forbidden(path, 'may not add mirror pod annotation')];
  return [];
}

const SYSTEM_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized']);

function stateTransitions(
  newS: unknown,
  oldS: unknown,
  path: string,
  restartPolicy: string,
  restartable: Set<string>,
): FieldError[] {
  if (restartPolicy === 'Always') return [];
  const errs: FieldError[] = [];
  objs(oldS).forEach((o, i) => {
    const term = obj(obj(o.state)?.terminated);
    if (!term) return;
    if ((num(term.exitCode) ?? 0) !== 0 && restartPolicy === 'OnFailure') return;
    if (restartable.has(str(o.name))) return;
    for (const n of objs(newS)) {
      if (str(n.name) === str(o.name) && !obj(obj(n.state)?.terminated)) {
        errs.push(
          forbidden(
            child(index(path, i), 'state'),
            'may not be transitioned to non-terminated state',
          ),
        );
      }
    }
  });
  return errs;
}

function validateIPList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ips = objs(list).map((p) => str(p.ip));
  ips.forEach((ip, i) => {
    for (const m of isValidIPMessage(ip)) errs.push(invalid(index(path, i), ip, m));
  });
  const seen = new Set<string>();
  ips.forEach((ip, i) => {
    if (seen.has(ip)) errs.push(duplicate(index(path, i), objs(list)[i]));
    seen.add(ip);
  });
  return errs;
}

/** ValidatePodStatusUpdate (cheap parts): conditions, nodeName, QoS class, state transitions, IPs. */
export function validatePodStatusUpdate(pod: Obj, old: Obj): FieldError[] {
  const meta = obj(pod.metadata) ?? {};
  const oldMeta = obj(old.metadata) ?? {};
  const status = obj(pod.status) ?? {};
  const oldStatus = obj(old.status) ?? {};
  const spec = obj(pod.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateObjectMetaUpdate(meta, oldMeta);
  errs.push(...annotationUpdateErrors(meta, oldMeta));
  objs(status.conditions).forEach((c, i) => {
    const type = str(c.type);
    if (SYSTEM_CONDITIONS.has(type)) return;
    for (const m of isQualifiedName(type))
      errs.push(invalid(`metadata.conditions[${i}].Type`, type, m));
  });
  if (str(spec.nodeName) !== str(oldSpec.nodeName))
    errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  const nominated = str(status.nominatedNodeName);
  if (nominated !== str(oldStatus.nominatedNodeName) && nominated !== '') {
    for (const m of nameIsDNSSubdomain(nominated, false))
      errs.push(invalid('status.nominatedNodeName', nominated, m));
  }
  errs.push(...validateImmutable(str(status.qosClass), str(oldStatus.qosClass), 'status.qosClass'));
  const restartPolicy = str(oldSpec.restartPolicy);
  const restartable = new Set(
    objs(oldSpec.initContainers)
      .filter((c) => c.restartPolicy === 'Always')
      .map((c) => str(c.name)),
  );
  errs.push(
    ...stateTransitions(
      status.containerStatuses,
      oldStatus.containerStatuses,
      'status.containerStatuses',
      restartPolicy,
      new Set(),
    ),
  );
  errs.push(
    ...stateTransitions(
      status.initContainerStatuses,
      oldStatus.initContainerStatuses,
      'status.initContainerStatuses',
      restartPolicy,
      restartable,
    ),
  );
  errs.push(
    ...stateTransitions(
      status.ephemeralContainerStatuses,
      oldStatus.ephemeralContainerStatuses,
      'status.ephemeralContainerStatuses',
      'Never',
      new Set(),
    ),
  );
  errs.push(...validateIPList(status.podIPs, 'status.podIPs'));
  const hostIPs = objs(status.hostIPs);
  if (hostIPs.length > 0 && str(status.hostIP) !== str(hostIPs[0].ip)) {
    errs.push(invalid('status.hostIPs[0].ip', str(hostIPs[0].ip), 'must be equal to `hostIP`'));
  }
  errs.push(...validateIPList(status.hostIPs, 'status.hostIPs'));
  return errs;
}

export function validatePodTemplateCreate(pt: Obj): FieldError[] {
  const errs = validateObjectMeta(pt.metadata, true, nameIsDNSSubdomain);
  return errs.concat(validatePodTemplateSpec(pt.template, 'template'));
}

export function validatePodTemplateUpdate(pt: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(pt.metadata, old.metadata);
  return errs.concat(validatePodTemplateSpec(pt.template, 'template'));
}
