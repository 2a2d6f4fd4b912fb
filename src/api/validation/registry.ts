// Which validator runs for which kind, and the generic steps kube-apiserver's
// rest.BeforeCreate / rest.BeforeUpdate add around every kind's strategy.

import type { FieldError } from '../types.ts';
import type { Obj } from './field.ts';
import {
  validateControllerRevisionCreate,
  validateControllerRevisionUpdate,
  validateReplicationControllerCreate,
  validateReplicationControllerUpdate,
} from './controllers.ts';
import { errorString } from './format.ts';
import { nameIsDNSSubdomain, pathSegmentName } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';
import { validateAppsCreate, validateAppsUpdate } from './apps.ts';
import { validateCronJobCreate, validateCronJobUpdate } from './cronjob.ts';
import { validateJobCreate, validateJobUpdate } from './job.ts';
import {
  validateLimitRangeCreate,
  validateLimitRangeUpdate,
  validateResourceQuotaCreate,
  validateResourceQuotaUpdate,
} from './quota.ts';
import { validateNodeCreate, validateNodeUpdate } from './node.ts';
import {
  validateConfigMapCreate,
  validateConfigMapUpdate,
  validateEventCreate,
  validateEventUpdate,
  validateNamespaceCreate,
  validateNamespaceUpdate,
  validateSecretCreate,
  validateSecretUpdate,
  validateServiceAccountCreate,
  validateServiceAccountUpdate,
} from './core-config.ts';
import { validateEndpointSliceCreate, validateEndpointSliceUpdate } from './endpoint-slice.ts';
import {
  validateIngressClassCreate,
  validateIngressClassUpdate,
  validateIngressCreate,
  validateIngressUpdate,
} from './ingress.ts';
import { validateNetworkPolicyCreate, validateNetworkPolicyUpdate } from './network-policy.ts';
import {
  validatePodCreate,
  validatePodStatusUpdate,
  validatePodTemplateCreate,
  validatePodTemplateUpdate,
} from './pod.ts';
import { validatePodEphemeralContainersUpdate, validatePodUpdate } from './pod-update.ts';
import {
  validateHPACreate,
  validateHPAUpdate,
  validateLeaseCreate,
  validateLeaseUpdate,
  validatePDBCreate,
  validatePDBUpdate,
  validatePriorityClassCreate,
  validatePriorityClassUpdate,
} from './policy.ts';
import { validateRbacCreate, validateRbacUpdate } from './rbac.ts';
import { validateEndpointsCreate, validateEndpointsUpdate } from './endpoints.ts';
import { validateServiceCreate, validateServiceUpdate } from './service.ts';
import {
  validatePVCCreate,
  validatePVCUpdate,
  validatePVCreate,
  validatePVUpdate,
  validateStorageClassCreate,
  validateStorageClassUpdate,
} from './storage.ts';

interface KindRules {
  create(o: Obj, version: string): FieldError[];
  update(o: Obj, old: Obj, version: string): FieldError[];
  status?(o: Obj, old: Obj, version: string): FieldError[];
  /** Writes to `pods/<name>/ephemeralcontainers`. */
  ephemeralcontainers?(o: Obj, old: Obj, version: string): FieldError[];
}

function rules(
  create: (o: Obj) => FieldError[],
  update: (o: Obj, old: Obj) => FieldError[],
): KindRules {
  return { create: (o) => create(o), update: (o, old) => update(o, old) };
}

const APPS = (kind: string) =>
  rules(
    (o) => validateAppsCreate(kind, o),
    (o, old) => validateAppsUpdate(kind, o, old),
  );
const RBAC = (kind: string) =>
  rules(
    (o) => validateRbacCreate(kind, o),
    (o, old) => validateRbacUpdate(kind, o, old),
  );

const RULES: Record<string, KindRules> = {
  '/Pod': {
    ...rules(validatePodCreate, validatePodUpdate),
    status: (o, old) => validatePodStatusUpdate(o, old),
    ephemeralcontainers: (o, old) => validatePodEphemeralContainersUpdate(o, old),
  },
  '/PodTemplate': rules(validatePodTemplateCreate, validatePodTemplateUpdate),
  '/ReplicationController': rules(
    validateReplicationControllerCreate,
    validateReplicationControllerUpdate,
  ),
  '/Service': rules(validateServiceCreate, validateServiceUpdate),
  '/Endpoints': rules(validateEndpointsCreate, validateEndpointsUpdate),
  '/Namespace': rules(validateNamespaceCreate, validateNamespaceUpdate),
  '/ConfigMap': rules(validateConfigMapCreate, validateConfigMapUpdate),
  '/Secret': rules(validateSecretCreate, validateSecretUpdate),
  '/ServiceAccount': rules(validateServiceAccountCreate, validateServiceAccountUpdate),
  '/Event': rules(
    (o) => validateEventCreate(o, ''),
    (o, old) => validateEventUpdate(o, old, ''),
  ),
  '/Node': {
    ...rules(validateNodeCreate, validateNodeUpdate),
    status: (o, old) => validateNodeUpdate(o, old),
  },
  '/ResourceQuota': rules(validateResourceQuotaCreate, validateResourceQuotaUpdate),
  '/LimitRange': rules(validateLimitRangeCreate, validateLimitRangeUpdate),
  '/PersistentVolumeClaim': rules(validatePVCCreate, validatePVCUpdate),
  '/PersistentVolume': rules(validatePVCreate, validatePVUpdate),
  'apps/Deployment': APPS('Deployment'),
  'apps/ReplicaSet': APPS('ReplicaSet'),
  'apps/StatefulSet': APPS('StatefulSet'),
  'apps/DaemonSet': APPS('DaemonSet'),
  'apps/ControllerRevision': rules(
    validateControllerRevisionCreate,
    validateControllerRevisionUpdate,
  ),
  'batch/Job': rules(validateJobCreate, validateJobUpdate),
  'batch/CronJob': rules(validateCronJobCreate, validateCronJobUpdate),
  'autoscaling/HorizontalPodAutoscaler': {
    create: (o, v) => validateHPACreate(o, v),
    update: (o, old, v) => validateHPAUpdate(o, old, v),
  },
  'policy/PodDisruptionBudget': rules(validatePDBCreate, validatePDBUpdate),
  'discovery.k8s.io/EndpointSlice': rules(validateEndpointSliceCreate, validateEndpointSliceUpdate),
  'coordination.k8s.io/Lease': rules(validateLeaseCreate, validateLeaseUpdate),
  'events.k8s.io/Event': rules(
    (o) => validateEventCreate(o, 'events.k8s.io'),
    (o, old) => validateEventUpdate(o, old, 'events.k8s.io'),
  ),
  'networking.k8s.io/Ingress': rules(validateIngressCreate, validateIngressUpdate),
  'networking.k8s.io/IngressClass': rules(validateIngressClassCreate, validateIngressClassUpdate),
  'networking.k8s.io/NetworkPolicy': rules(
    validateNetworkPolicyCreate,
    validateNetworkPolicyUpdate,
  ),
  'rbac.authorization.k8s.io/Role': RBAC('Role'),
  'rbac.authorization.k8s.io/ClusterRole': RBAC('ClusterRole'),
  'rbac.authorization.k8s.io/RoleBinding': RBAC('RoleBinding'),
  'rbac.authorization.k8s.io/ClusterRoleBinding': RBAC('ClusterRoleBinding'),
  'scheduling.k8s.io/PriorityClass': rules(
    validatePriorityClassCreate,
    validatePriorityClassUpdate,
  ),
  'storage.k8s.io/StorageClass': rules(validateStorageClassCreate, validateStorageClassUpdate),
};

export function rulesFor(group: string, kind: string): KindRules | undefined {
  return RULES[`${group}/${kind}`];
}

/** Drops errors whose message repeats an earlier one, as the aggregate Kubernetes returns does. */
export function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const m = errorString(e);
    if (seen.has(m)) return false;
    seen.add(m);
    return true;
  });
}

/** Kinds wharf does not know (custom resources) get the checks apiextensions applies. */
function genericCreate(o: Obj, namespaced: boolean): FieldError[] {
  return validateObjectMeta(o.metadata, namespaced, nameIsDNSSubdomain, 'metadata', false);
}

/** rest.BeforeCreate's last step, run only when the kind's own validation passed. */
export function commonCreate(o: Obj, namespaced: boolean): FieldError[] {
  return validateObjectMeta(o.metadata, namespaced, pathSegmentName, 'metadata', false);
}

/** rest.BeforeUpdate's validateCommonFields, run before the kind's own update validation. */
export function commonUpdate(o: Obj, old: Obj, namespaced: boolean): FieldError[] {
  return validateObjectMeta(o.metadata, namespaced, pathSegmentName, 'metadata', false).concat(
    validateObjectMetaUpdate(o.metadata, old.metadata, 'metadata', false),
  );
}

export function kindCreate(
  group: string,
  version: string,
  kind: string,
  o: Obj,
  namespaced: boolean,
): FieldError[] {
  const r = rulesFor(group, kind);
  return r ? r.create(o, version) : genericCreate(o, namespaced);
}

export function kindUpdate(
  group: string,
  version: string,
  kind: string,
  o: Obj,
  old: Obj,
  namespaced: boolean,
): FieldError[] {
  const r = rulesFor(group, kind);
  return r ? r.update(o, old, version) : genericCreate(o, namespaced);
}

/**
 * A write through a subresource: `status` and `ephemeralcontainers` by the kind's rules for
 * them where it has some, the kind's update rules otherwise (`scale`, and the status of
 * kinds whose update rules also cover their status).
 */
export function kindSubresourceUpdate(
  group: string,
  version: string,
  kind: string,
  o: Obj,
  old: Obj,
  namespaced: boolean,
  subresource: string,
): FieldError[] {
  const r = rulesFor(group, kind);
  const own =
    subresource === 'status'
      ? r?.status
      : subresource === 'ephemeralcontainers'
        ? r?.ephemeralcontainers
        : undefined;
  return own ? own(o, old, version) : kindUpdate(group, version, kind, o, old, namespaced);
}
