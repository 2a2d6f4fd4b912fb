import { EVENTS_V1_CONVERSION, HPA_V1_CONVERSION } from './conversion.ts';
import { defineResource, type ResourceType } from './resource-type.ts';
import type { KubeObject } from './types.ts';

// The built-in kinds of Kubernetes 1.32 that wharf serves, with the short names,
// categories, scopes and subresources kube-apiserver advertises for them.

const ALL = ['all'];

function get(obj: KubeObject, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** Field selectors on plain paths, with Kubernetes' empty-string default for absent ones. */
function fields(...paths: string[]): ResourceType['fieldSelectors'] {
  return Object.fromEntries(paths.map((p) => [p, (o: KubeObject) => get(o, p) ?? '']));
}

const resetStatus = (status: Record<string, unknown>) => (obj: KubeObject) => {
  obj.status = structuredClone(status);
};

/** stringData is write-only: its entries land base64-encoded in data, as in Kubernetes. */
function foldStringData(obj: KubeObject): void {
  const stringData = obj.stringData as Record<string, unknown> | undefined;
  if (!stringData || typeof stringData !== 'object') return;
  const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) };
  for (const [k, v] of Object.entries(stringData)) {
    if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  obj.data = data;
  delete obj.stringData;
}

const replicasScale = {
  specReplicas: 'spec.replicas',
  statusReplicas: 'status.replicas',
  labelSelector: 'status.selector',
};

export const BUILTIN_RESOURCES: ResourceType[] = [
  // core/v1
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    fieldSelectors: fields('status.phase'),
    prepareForCreate: resetStatus({ phase: 'Active' }),
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Pod',
    shortNames: ['po'],
    returnDeletedObject: true,
    categories: ALL,
    subresources: [
      'status',
      'binding',
      'eviction',
      'log',
      'exec',
      'attach',
      'portforward',
      'proxy',
      'ephemeralcontainers',
    ],
    fieldSelectors: {
      ...fields(
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ),
      'spec.hostNetwork': (o) => get(o, 'spec.hostNetwork') ?? 'false',
    },
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Service',
    shortNames: ['svc'],
    categories: ALL,
    subresources: ['status', 'proxy'],
    prepareForCreate: resetStatus({ loadBalancer: {} }),
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    resource: 'endpoints',
    singular: 'endpoints',
    shortNames: ['ep'],
    allowCreateOnUpdate: true,
  }),
  defineResource({ group: '', version: 'v1', kind: 'ConfigMap', shortNames: ['cm'] }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Secret',
    fieldSelectors: fields('type'),
    normalize: foldStringData,
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Event',
    shortNames: ['ev'],
    allowCreateOnUpdate: true,
    fieldSelectors: fields(
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ),
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status', 'proxy'],
    fieldSelectors: { 'spec.unschedulable': (o) => get(o, 'spec.unschedulable') ?? 'false' },
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    shortNames: ['rc'],
    categories: ALL,
    subresources: ['status', 'scale'],
    tracksGeneration: true,
    scale: replicasScale,
    fieldSelectors: { 'status.replicas': (o) => get(o, 'status.replicas') ?? '0' },
    prepareForCreate: resetStatus({ replicas: 0 }),
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    shortNames: ['sa'],
    returnDeletedObject: true,
    subresources: ['token'],
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    shortNames: ['quota'],
    subresources: ['status'],
  }),
  defineResource({ group: '', version: 'v1', kind: 'LimitRange', shortNames: ['limits'] }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    shortNames: ['pvc'],
    subresources: ['status'],
    prepareForCreate: resetStatus({ phase: 'Pending' }),
  }),
  defineResource({
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
    prepareForCreate: resetStatus({ phase: 'Pending' }),
  }),
  defineResource({ group: '', version: 'v1', kind: 'PodTemplate' }),

  // apps/v1
  ...(['Deployment', 'ReplicaSet', 'StatefulSet'] as const).map((kind) =>
    defineResource({
      group: 'apps',
      version: 'v1',
      kind,
      shortNames: [{ Deployment: 'deploy', ReplicaSet: 'rs', StatefulSet: 'sts' }[kind]],
      categories: ALL,
      subresources: ['status', 'scale'],
      tracksGeneration: true,
      scale: replicasScale,
      prepareForCreate: resetStatus(kind === 'Deployment' ? {} : { replicas: 0 }),
    }),
  ),
  defineResource({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    shortNames: ['ds'],
    categories: ALL,
    subresources: ['status'],
    tracksGeneration: true,
    prepareForCreate: resetStatus({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    }),
  }),
  defineResource({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }),

  // batch/v1
  defineResource({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    categories: ALL,
    subresources: ['status'],
    tracksGeneration: true,
    fieldSelectors: { 'status.successful': (o) => get(o, 'status.succeeded') ?? '0' },
    prepareForCreate: resetStatus({}),
  }),
  defineResource({
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    shortNames: ['cj'],
    categories: ALL,
    subresources: ['status'],
    tracksGeneration: true,
    prepareForCreate: resetStatus({}),
  }),

  // autoscaling: v2 and v1 are two views of one stored resource.
  ...['v2', 'v1'].map((version) =>
    defineResource({
      group: 'autoscaling',
      version,
      kind: 'HorizontalPodAutoscaler',
      shortNames: ['hpa'],
      categories: ALL,
      subresources: ['status'],
      tracksGeneration: true,
      storagePrefix: '/registry/autoscaling/horizontalpodautoscalers/',
      ...(version === 'v1' ? { conversion: HPA_V1_CONVERSION } : {}),
      prepareForCreate: resetStatus({ currentReplicas: 0, desiredReplicas: 0 }),
    }),
  ),

  defineResource({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    shortNames: ['pdb'],
    subresources: ['status'],
    tracksGeneration: true,
    prepareForCreate: resetStatus({
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
    }),
  }),
  defineResource({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' }),
  defineResource({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }),
  defineResource({
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    shortNames: ['ev'],
    // Both event APIs read and write the same stored events, as in Kubernetes.
    storagePrefix: '/registry/core/events/',
    conversion: EVENTS_V1_CONVERSION,
  }),

  // networking.k8s.io/v1
  defineResource({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    resource: 'ingresses',
    shortNames: ['ing'],
    subresources: ['status'],
    tracksGeneration: true,
    prepareForCreate: resetStatus({ loadBalancer: {} }),
  }),
  defineResource({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'IngressClass',
    namespaced: false,
  }),
  defineResource({
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'NetworkPolicy',
    resource: 'networkpolicies',
    shortNames: ['netpol'],
    tracksGeneration: true,
  }),

  // rbac.authorization.k8s.io/v1
  ...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map((kind) =>
    defineResource({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind,
      namespaced: !kind.startsWith('Cluster'),
    }),
  ),

  defineResource({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    namespaced: false,
    shortNames: ['pc'],
  }),
  defineResource({
    group: 'storage.k8s.io',
    version: 'v1',
    kind: 'StorageClass',
    namespaced: false,
    shortNames: ['sc'],
    returnDeletedObject: true,
  }),

  // Review kinds: create-only, answered on the spot, never stored.
  ...(
    [
      ['authorization.k8s.io', 'SelfSubjectAccessReview', false],
      ['authorization.k8s.io', 'SelfSubjectRulesReview', false],
      ['authorization.k8s.io', 'SubjectAccessReview', false],
      ['authorization.k8s.io', 'LocalSubjectAccessReview', true],
      ['authentication.k8s.io', 'SelfSubjectReview', false],
      ['authentication.k8s.io', 'TokenReview', false],
    ] as const
  ).map(([group, kind, namespaced]) =>
    defineResource({ group, version: 'v1', kind, namespaced, verbs: ['create'] }),
  ),
];
