// Sample workloads for the round-trip tests: a full pod spec (volumes, probes, env sources,
// affinity, tolerations) inside each workload kind, and metadata with every field set.

export const metadata = (name: string, namespace?: string) => ({
  name,
  ...(namespace ? { namespace } : {}),
  uid: `uid-${name}`,
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2024-01-02T03:04:05Z',
  labels: { app: name, empty: '' },
  annotations: { 'example.com/note': 'x' },
  ownerReferences: [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs', controller: true },
  ],
  finalizers: ['example.com/keep'],
  managedFields: [
    {
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2024-01-02T03:04:05Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
    },
  ],
});

const podSpec = {
  volumes: [
    { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    {
      name: 'conf',
      configMap: { name: 'c', items: [{ key: 'a', path: 'a.txt', mode: 0o644 }], defaultMode: 420 },
    },
    { name: 'secret', secret: { secretName: 's', optional: false } },
  ],
  initContainers: [
    { name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {} },
  ],
  containers: [
    {
      name: 'app',
      image: 'nginx:1.27',
      args: ['--port', '8080'],
      ports: [
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { containerPort: 0, protocol: 'UDP' },
      ],
      env: [
        { name: 'PLAIN', value: 'v' },
        { name: 'EMPTY' },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'p', optional: true } } },
        { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      ],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
      volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
      livenessProbe: {
        httpGet: {
          path: '/healthz',
          port: 'http',
          scheme: 'HTTP',
          httpHeaders: [{ name: 'X', value: '' }],
        },
        initialDelaySeconds: 5,
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
      securityContext: {
        runAsUser: 1000,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
      stdin: true,
    },
  ],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'sa',
  hostNetwork: false,
  securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
        ],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: { app: 'web' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
      ],
    },
  },
  schedulerName: 'default-scheduler',
  tolerations: [
    {
      key: 'node.kubernetes.io/not-ready',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    },
  ],
  priority: 0,
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'web' } },
    },
  ],
};

const template = { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: podSpec };

export const WORKLOAD_SAMPLES: ReadonlyArray<{
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}> = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata('web', 'default'),
    spec: {
      replicas: 0,
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'Exists' }],
      },
      template,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 3,
      replicas: 2,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          lastUpdateTime: '2024-01-02T03:04:05Z',
          lastTransitionTime: '2024-01-02T03:04:05Z',
          reason: 'MinimumReplicasAvailable',
        },
      ],
    },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata('j', 'default'),
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 0,
      completionMode: 'NonIndexed',
      suspend: false,
      template: { ...template, spec: { ...podSpec, restartPolicy: 'Never' } },
    },
    status: { startTime: '2024-01-02T03:04:05Z', active: 1, ready: 0 },
  },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: metadata('cj', 'default'),
    spec: {
      schedule: '*/1 * * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      jobTemplate: { metadata: { name: 'cj', creationTimestamp: null }, spec: { template } },
      successfulJobsHistoryLimit: 3,
    },
    status: {
      lastScheduleTime: '2024-01-02T03:04:00Z',
      active: [{ kind: 'Job', namespace: 'default', name: 'cj-1' }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: metadata('n1'),
    spec: {
      podCIDR: '10.1.0.0/24',
      unschedulable: true,
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule', timeAdded: '2024-01-02T03:04:05Z' }],
    },
    status: {
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '3800m', 'ephemeral-storage': '100G' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: '2024-01-02T03:04:05Z',
          lastTransitionTime: null,
          reason: 'KubeletReady',
        },
      ],
      addresses: [{ type: 'InternalIP', address: '192.0.2.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'm',
        systemUUID: 's',
        bootID: 'b',
        kernelVersion: '6',
        osImage: 'o',
        containerRuntimeVersion: 'c',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: [{ names: ['nginx:1.27'], sizeBytes: 72_000_000_000 }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata('p1', 'default'),
      deletionTimestamp: '2024-01-02T03:05:00Z',
      deletionGracePeriodSeconds: 30,
    },
    spec: {
      ...podSpec,
      nodeName: 'n1',
      ephemeralContainers: [
        { name: 'dbg', image: 'busybox', resources: {}, targetContainerName: 'app' },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2024-01-02T03:04:05Z',
        },
      ],
      podIP: '10.1.0.5',
      podIPs: [{ ip: '10.1.0.5' }],
      startTime: '2024-01-02T03:04:05Z',
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: '2024-01-02T03:04:06Z' } },
          lastState: {
            terminated: { exitCode: -1, reason: 'Error', startedAt: null, finishedAt: null },
          },
          ready: true,
          restartCount: 1,
          image: 'nginx:1.27',
          imageID: 'sha256:x',
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  },
];
