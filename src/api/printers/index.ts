// Table printers for `kubectl get`: per resource, the columns and cells kube-apiserver 1.32
// puts in a meta.k8s.io/v1 Table.
//
// Contract: cells are always the wide set (kube-apiserver generates tables with Wide=true
// and kubectl hides priority-1 columns itself), in column order, as JSON values — strings,
// numbers for Go integers, booleans for Go bools. `cells` never throws: missing fields read
// as their zero value, or as the value the API server would have defaulted on create.

import type { Printer } from '../types.ts';
import {
  deploymentPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
  daemonSetPrinter,
  controllerRevisionPrinter,
} from './apps.ts';
import { horizontalPodAutoscalerPrinter } from './autoscaling.ts';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import { leasePrinter } from './coordination.ts';
import {
  configMapPrinter,
  endpointsPrinter,
  namespacePrinter,
  podTemplatePrinter,
  replicationControllerPrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './core.ts';
import { defaultPrinter } from './default.ts';
import { endpointSlicePrinter } from './discovery.ts';
import { coreEventPrinter, eventsV1Printer } from './events.ts';
import { ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from './networking.ts';
import { nodePrinter } from './node.ts';
import { podPrinter } from './pod.ts';
import { podDisruptionBudgetPrinter } from './policy.ts';
import { clusterRoleBindingPrinter, roleBindingPrinter } from './rbac.ts';
import { priorityClassPrinter } from './scheduling.ts';
import { servicePrinter } from './service.ts';
import { storageClassPrinter } from './storage.ts';
import { persistentVolumeClaimPrinter, persistentVolumePrinter } from './volumes.ts';

export { humanDuration } from './duration.ts';
export { defaultPrinter } from './default.ts';

/** Printers by `group/resource` (core group is ''). Versions of a group share a printer. */
const printers: ReadonlyMap<string, Printer> = new Map([
  ['/pods', podPrinter],
  ['/namespaces', namespacePrinter],
  ['/nodes', nodePrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/configmaps', configMapPrinter],
  ['/secrets', secretPrinter],
  ['/events', coreEventPrinter],
  ['/replicationcontrollers', replicationControllerPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/resourcequotas', resourceQuotaPrinter],
  ['/persistentvolumeclaims', persistentVolumeClaimPrinter],
  ['/persistentvolumes', persistentVolumePrinter],
  ['/podtemplates', podTemplatePrinter],
  ['apps/deployments', deploymentPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/statefulsets', statefulSetPrinter],
  ['apps/daemonsets', daemonSetPrinter],
  ['apps/controllerrevisions', controllerRevisionPrinter],
  ['batch/jobs', jobPrinter],
  ['batch/cronjobs', cronJobPrinter],
  ['autoscaling/horizontalpodautoscalers', horizontalPodAutoscalerPrinter],
  ['policy/poddisruptionbudgets', podDisruptionBudgetPrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
  ['coordination.k8s.io/leases', leasePrinter],
  ['events.k8s.io/events', eventsV1Printer],
  ['networking.k8s.io/ingresses', ingressPrinter],
  ['networking.k8s.io/ingressclasses', ingressClassPrinter],
  ['networking.k8s.io/networkpolicies', networkPolicyPrinter],
  ['rbac.authorization.k8s.io/rolebindings', roleBindingPrinter],
  ['rbac.authorization.k8s.io/clusterrolebindings', clusterRoleBindingPrinter],
  ['scheduling.k8s.io/priorityclasses', priorityClassPrinter],
  ['storage.k8s.io/storageclasses', storageClassPrinter],
]);

/**
 * The printer for a resource (plural, lower case), or the default Name/Created At printer
 * when kube-apiserver has none (limitranges, roles, clusterroles, custom resources, ...).
 */
export function printerFor(group: string, resource: string): Printer {
  return printers.get(`${group}/${resource}`) ?? defaultPrinter;
}
