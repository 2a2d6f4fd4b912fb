// One representative object per kind that wharf must accept as protobuf, each touching the
// special encodings: Time, MicroTime, Quantity, IntOrString, bytes, maps, inline structs,
// RawExtension/FieldsV1 and []string wrappers.
import { WORKLOAD_SAMPLES, metadata } from './sample-workloads.ts';

export const SAMPLE_OBJECTS: ReadonlyArray<{
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}> = [
  ...WORKLOAD_SAMPLES,
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: metadata('ns'),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata('svc', 'default'),
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: 'named', port: 81, targetPort: 'http' },
      ],
      selector: { app: 'web' },
      clusterIP: '10.0.0.10',
      clusterIPs: ['10.0.0.10'],
      type: 'NodePort',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
    status: {
      loadBalancer: { ingress: [{ ip: '1.2.3.4', ports: [{ port: 80, protocol: 'TCP' }] }] },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata('c', 'default'),
    data: { a: 'b', empty: '' },
    binaryData: { bin: 'AAEC/w==' },
    immutable: false,
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata('s', 'default'),
    data: { p: 'cQ==', empty: '' },
    stringData: { s: 'plain' },
    type: 'Opaque',
  },
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: metadata('q', 'default'),
    spec: {
      hard: { pods: '3', 'requests.cpu': '1500m' },
      scopes: ['BestEffort'],
      scopeSelector: {
        matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }],
      },
    },
    status: { hard: { pods: '3' }, used: { pods: '0' } },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: metadata('r', 'default'),
    rules: [
      {
        verbs: ['get', 'list'],
        apiGroups: ['', 'apps'],
        resources: ['pods', 'deployments'],
        resourceNames: ['web'],
      },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: metadata('rb', 'default'),
    subjects: [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'u' },
      { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
    ],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: metadata('cr'),
    rules: [{ verbs: ['get'], nonResourceURLs: ['/logs/*'] }],
    aggregationRule: {
      clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }],
    },
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: metadata('crb'),
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'g' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: metadata('p'),
    value: -5,
    globalDefault: true,
    description: 'd',
    preemptionPolicy: 'Never',
  },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata('pdb', 'default'),
    spec: {
      minAvailable: '50%',
      selector: { matchLabels: { a: 'b' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
    status: {
      disruptionsAllowed: 0,
      currentHealthy: 1,
      desiredHealthy: 1,
      expectedPods: 2,
      disruptedPods: { p1: '2024-01-02T03:04:05Z' },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: metadata('sa', 'default'),
    secrets: [{ name: 'sa-token' }],
    imagePullSecrets: [{ name: 'reg' }],
    automountServiceAccountToken: false,
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: metadata('i', 'default'),
    spec: {
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'svc', port: { number: 8080 } } },
      tls: [{ hosts: ['foo.com'], secretName: 'tls' }],
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              {
                path: '/bar',
                pathType: 'Exact',
                backend: { service: { name: 'svc', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
    status: { loadBalancer: {} },
  },
  {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: metadata('sa', 'default'),
    spec: {
      audiences: ['api'],
      expirationSeconds: 3600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'u-p1' },
    },
    status: { token: 'ey.x.y', expirationTimestamp: '2030-01-01T00:00:00Z' },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec: {
      resourceAttributes: {
        namespace: 'default',
        verb: 'list',
        group: 'apps',
        resource: 'deployments',
        subresource: 'scale',
        labelSelector: { rawSelector: 'a=b' },
      },
    },
    status: { allowed: true, reason: 'RBAC: allowed by RoleBinding' },
  },
  {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null },
    spec: { namespace: 'default' },
    status: {
      resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api'] }],
      incomplete: false,
    },
  },
  {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null },
    status: {
      userInfo: {
        username: 'u',
        uid: '1',
        groups: ['system:authenticated'],
        extra: { scopes: ['a', 'b'], none: null },
      },
    },
  },
  {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'p1', namespace: 'default', creationTimestamp: null },
    deleteOptions: {
      gracePeriodSeconds: 0,
      preconditions: { uid: 'u-p1' },
      propagationPolicy: 'Background',
      dryRun: ['All'],
    },
  },
  {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: metadata('web', 'default'),
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
      minReplicas: 2,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 80,
    },
    status: { currentReplicas: 2, desiredReplicas: 3, lastScaleTime: '2024-01-02T03:04:05Z' },
  },
  {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 30,
    propagationPolicy: 'Foreground',
    orphanDependents: false,
  },
  { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', preconditions: { resourceVersion: '7' } },
  {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: metadata('web', 'default'),
    spec: { replicas: 3 },
    status: { replicas: 2, selector: 'app=web' },
  },
  {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: metadata('e', 'default'),
    eventTime: '2024-01-02T03:04:05.123456Z',
    series: { count: 2, lastObservedTime: '2024-01-02T03:04:06.000001Z' },
    reportingController: 'wharf',
    reportingInstance: 'w1',
    action: 'Scheduled',
    reason: 'Scheduled',
    regarding: { kind: 'Pod', namespace: 'default', name: 'p1' },
    type: 'Normal',
    deprecatedCount: 0,
  },
  {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: metadata('l', 'kube-system'),
    spec: {
      holderIdentity: 'w1',
      leaseDurationSeconds: 15,
      renewTime: '2024-01-02T03:04:05.500000Z',
      leaseTransitions: 0,
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: metadata('cr-1', 'default'),
    data: { spec: { template: { x: [1, 'two', null, true] } } },
    revision: 2,
  },
];
