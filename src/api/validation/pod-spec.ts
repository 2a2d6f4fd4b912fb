// ValidatePodSpec and ValidatePodTemplateSpec.

import type { FieldError } from '../types.ts';
import { validateAffinity } from './pod-affinity.ts';
import { validateOS } from './pod-os.ts';
import {
  arr,
  child,
  duplicate,
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
import { inclusiveRangeError, isDNS1123Label, nameIsDNSSubdomain } from './names.ts';
import { validateAnnotations, validateLabels } from './objectmeta.ts';
import {
  validateContainers,
  validateEphemeralContainers,
  validateInitContainers,
  type ContainerContext,
} from './pod-containers.ts';
import {
  validateDNSConfig,
  validateHostAliases,
  validateReadinessGates,
  validateSchedulingGates,
  validateTolerations,
  validateTopologySpreadConstraints,
} from './pod-scheduling.ts';
import { validateHostUsers, validatePodSecurityContext } from './pod-security.ts';
import { validateVolumes } from './pod-volumes.ts';
import { validateContainerResources } from './resources.ts';

export interface PodSpecOptions {
  /** The spec belongs to a Pod rather than a template (hostPort rules differ). */
  resourceIsPod: boolean;
  /** Tolerate a pod-deletion-cost annotation that is already invalid (updates). */
  allowInvalidPodDeletionCost?: boolean;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

function validateResourceClaims(claims: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objs(claims).forEach((c, i) => {
    const ip = index(path, i);
    const name = str(c.name);
    if (name === '') errs.push(required(child(ip, 'name')));
    else if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
    else {
      for (const m of isDNS1123Label(name)) errs.push(invalid(child(ip, 'name'), name, m));
      names.add(name);
    }
    const hasName = typeof c.resourceClaimName === 'string';
    const hasTemplate = typeof c.resourceClaimTemplateName === 'string';
    if (hasName && hasTemplate) {
      errs.push(
        invalid(
          ip,
          c,
          'at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified',
        ),
      );
    }
    if (!hasName && !hasTemplate) {
      errs.push(
        invalid(ip, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'),
      );
    }
  });
  return errs;
}

function validateHostNetworkDeps(spec: Obj, path: string, resourceIsPod: boolean): FieldError[] {
  if (spec.hostNetwork !== true) return [];
  const errs: FieldError[] = [];
  objs(spec.containers).forEach((c, i) => {
    objs(c.ports).forEach((p, j) => {
      const hp = num(p.hostPort) ?? 0;
      const cp = num(p.containerPort) ?? 0;
      if ((resourceIsPod || hp !== 0) && hp !== cp) {
        const pp = child(index(child(index(child(path, 'containers'), i), 'ports'), j), 'hostPort');
        errs.push(invalid(pp, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

/** ValidatePodSpec. `podName` is the pod's own name ('' for templates). */
export function validatePodSpec(
  specValue: unknown,
  podName: string,
  path: string,
  opts: PodSpecOptions,
): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs: FieldError[] = [];
  const grace = num(spec.terminationGracePeriodSeconds);
  if (
    spec.terminationGracePeriodSeconds === undefined ||
    spec.terminationGracePeriodSeconds === null
  ) {
    errs.push(required(child(path, 'terminationGracePeriodSeconds')));
  }
  const hostUsers = spec.hostUsers !== false;
  const vols = validateVolumes(spec.volumes, podName, child(path, 'volumes'));
  errs.push(...vols.errs);
  const claimNames = new Set(
    objs(spec.resourceClaims)
      .map((c) => str(c.name))
      .filter((n) => n !== ''),
  );
  errs.push(...validateResourceClaims(spec.resourceClaims, child(path, 'resourceClaims')));
  const restartPolicy = str(spec.restartPolicy);
  const ctx: ContainerContext = {
    volumes: vols.volumes,
    claimNames,
    gracePeriod: grace,
    restartPolicy,
    hostUsers,
  };
  errs.push(...validateContainers(spec.containers, ctx, child(path, 'containers')));
  errs.push(
    ...validateInitContainers(
      spec.initContainers,
      spec.containers,
      ctx,
      child(path, 'initContainers'),
    ),
  );
  errs.push(
    ...validateEphemeralContainers(
      spec.ephemeralContainers,
      spec.containers,
      spec.initContainers,
      ctx,
      child(path, 'ephemeralContainers'),
    ),
  );
  errs.push(...validateHostNetworkDeps(spec, path, opts.resourceIsPod));
  if (restartPolicy === '') errs.push(required(child(path, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(restartPolicy)) {
    errs.push(notSupported(child(path, 'restartPolicy'), restartPolicy, RESTART_POLICIES));
  }
  const dnsPolicy = str(spec.dnsPolicy);
  if (dnsPolicy === '') errs.push(required(child(path, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dnsPolicy))
    errs.push(notSupported(child(path, 'dnsPolicy'), dnsPolicy, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec, child(path, 'securityContext')));
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, dnsPolicy, child(path, 'dnsConfig')));
  errs.push(...validateReadinessGates(spec.readinessGates, child(path, 'readinessGates')));
  errs.push(...validateSchedulingGates(spec.schedulingGates, child(path, 'schedulingGates')));
  errs.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      child(path, 'topologySpreadConstraints'),
    ),
  );
  errs.push(...validateHostUsers(spec, path));
  const subdomainFields = ['serviceAccountName', 'nodeName'];
  for (const f of subdomainFields) {
    const v = str(spec[f]);
    if (v !== '')
      for (const m of nameIsDNSSubdomain(v, false)) errs.push(invalid(child(path, f), v, m));
  }
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && (ads < 1 || ads > 2147483647)) {
    errs.push(
      invalid(child(path, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, 2147483647)),
    );
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]);
    if (v !== '') for (const m of isDNS1123Label(v)) errs.push(invalid(child(path, f), v, m));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  errs.push(...validateHostAliases(spec.hostAliases, child(path, 'hostAliases')));
  const pcn = str(spec.priorityClassName);
  if (pcn !== '')
    for (const m of nameIsDNSSubdomain(pcn, false))
      errs.push(invalid(child(path, 'priorityClassName'), pcn, m));
  if (typeof spec.runtimeClassName === 'string') {
    for (const m of nameIsDNSSubdomain(spec.runtimeClassName, false)) {
      errs.push(invalid(child(path, 'runtimeClassName'), spec.runtimeClassName, m));
    }
  }
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null) {
    const pp = str(spec.preemptionPolicy);
    if (pp === '') errs.push(required(child(path, 'preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') {
      errs.push(
        notSupported(child(path, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']),
      );
    }
  }
  if (obj(spec.overhead)) {
    errs.push(
      ...validateContainerResources({ limits: spec.overhead }, null, child(path, 'overhead')),
    );
  }
  errs.push(...validateOS(spec, path));
  return errs;
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** strconv.ParseInt(v, 10, 32) succeeds. */
export function isValidDeletionCost(v: string): boolean {
  const n = Number(v);
  return /^[+-]?\d+$/.test(v) && n >= -2147483648 && n <= 2147483647;
}

/** ValidatePodSpecificAnnotations (the parts wharf's kinds can reach). */
export function validatePodSpecificAnnotations(
  annotations: unknown,
  spec: Obj,
  path: string,
  opts: PodSpecOptions,
): FieldError[] {
  const a = obj(annotations) ?? {};
  const errs: FieldError[] = [];
  if (MIRROR_POD_ANNOTATION in a && str(spec.nodeName) === '') {
    errs.push(
      invalid(
        `${path}[${MIRROR_POD_ANNOTATION}]`,
        str(a[MIRROR_POD_ANNOTATION]),
        'must set spec.nodeName if mirror pod annotation is set',
      ),
    );
  }
  if (
    !opts.allowInvalidPodDeletionCost &&
    POD_DELETION_COST in a &&
    !isValidDeletionCost(str(a[POD_DELETION_COST]))
  ) {
    errs.push(
      invalid(
        `${path}[${POD_DELETION_COST}]`,
        str(a[POD_DELETION_COST]),
        'must be a 32bit integer',
      ),
    );
  }
  return errs;
}

/** ValidatePodTemplateSpec (core): labels, annotations and a spec without ephemeral containers. */
export function validatePodTemplateSpec(templateValue: unknown, path: string): FieldError[] {
  const tpl = obj(templateValue) ?? {};
  const meta = obj(tpl.metadata) ?? {};
  const spec = obj(tpl.spec) ?? {};
  const opts: PodSpecOptions = { resourceIsPod: false };
  const errs = validateLabels(meta.labels, child(path, 'labels'));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(
    ...validatePodSpecificAnnotations(meta.annotations, spec, child(path, 'annotations'), opts),
  );
  errs.push(...validatePodSpec(spec, '', child(path, 'spec'), opts));
  if (arr(spec.ephemeralContainers).length > 0) {
    errs.push(
      forbidden(
        child(path, 'spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}
