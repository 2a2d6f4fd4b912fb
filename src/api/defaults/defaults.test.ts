// Defaulting: what each kind gains, and that a second pass changes nothing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults, imageTag, podQOSClass } from './index.ts';

type O = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function defaulted(group: string, kind: string, obj: KubeObject, version = 'v1'): O {
  applyDefaults(group, version, kind, obj);
  const once = structuredClone(obj);
  applyDefaults(group, version, kind, obj);
  assert.deepEqual(obj, once, `defaulting ${kind} twice changed it`);
  return obj as O;
}

const podSpec = (extra: O = {}) => ({ containers: [{ name: 'c', image: 'nginx' }], ...extra });

describe('Pod', () => {
  it('fills the PodSpec, container and admission defaults', () => {
    const pod = defaulted('', 'Pod', { metadata: { name: 'p', namespace: 'd' }, spec: podSpec() });
    assert.deepEqual(pod.spec, {
      containers: [
        {
          name: 'c',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('defaults ports, probes, env, resources and volumes', () => {
    const pod = defaulted('', 'Pod', {
      metadata: { name: 'p', namespace: 'd' },
      spec: podSpec({
        containers: [
          {
            name: 'c',
            image: 'nginx:1.27',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: '0.5', memory: '1024Mi' } },
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { grpc: { port: 9000 } },
          },
        ],
        volumes: [
          { name: 'a' },
          { name: 'b', configMap: { name: 'cm' } },
          { name: 'c', secret: { secretName: 's' } },
        ],
        tolerations: [{ operator: 'Exists' }],
      }),
    });
    const c = pod.spec.containers[0];
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(c.env[0].valueFrom.fieldRef, { fieldPath: 'metadata.name', apiVersion: 'v1' });
    assert.deepEqual(c.resources, {
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
    assert.deepEqual(c.livenessProbe, {
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(c.readinessProbe.grpc, { port: 9000, service: '' });
    assert.deepEqual(pod.spec.volumes, [
      { name: 'a', emptyDir: {} },
      { name: 'b', configMap: { name: 'cm', defaultMode: 420 } },
      { name: 'c', secret: { secretName: 's', defaultMode: 420 } },
    ]);
    assert.deepEqual(
      pod.spec.tolerations,
      [{ operator: 'Exists' }],
      'a wildcard toleration needs no defaults',
    );
    assert.equal(pod.status.qosClass, 'Guaranteed');
  });

  it('copies container ports to host ports with hostNetwork', () => {
    const pod = defaulted('', 'Pod', {
      metadata: { name: 'p', namespace: 'd' },
      spec: {
        hostNetwork: true,
        containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }],
      },
    });
    assert.equal(pod.spec.containers[0].ports[0].hostPort, 8080);
  });

  it('takes the deprecated serviceAccount as the account name', () => {
    const pod = defaulted('', 'Pod', {
      metadata: { name: 'p' },
      spec: podSpec({ serviceAccount: 'builder' }),
    });
    assert.equal(pod.spec.serviceAccountName, 'builder');
  });
});

describe('image pull policy', () => {
  const TABLE: [string, string | undefined][] = [
    ['nginx', 'latest'],
    ['nginx:latest', 'latest'],
    ['nginx:1.27', '1.27'],
    ['localhost:5000/app', 'latest'],
    ['registry.example.com:5000/team/app:v2', 'v2'],
    [`nginx@sha256:${'a'.repeat(64)}`, ''],
    [`nginx:1.2@sha256:${'a'.repeat(64)}`, '1.2'],
    ['NGINX', undefined],
    ['', undefined],
  ];
  for (const [image, tag] of TABLE)
    it(`${image || '(empty)'} has tag ${tag}`, () => assert.equal(imageTag(image), tag));
});

describe('QoS class', () => {
  const spec = (resources: O) => ({ containers: [{ name: 'c', image: 'x', resources }] });
  it('classifies pods', () => {
    assert.equal(podQOSClass(spec({})), 'BestEffort');
    assert.equal(podQOSClass(spec({ requests: { cpu: '1' } })), 'Burstable');
    assert.equal(
      podQOSClass(
        spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } }),
      ),
      'Guaranteed',
    );
  });
});

describe('workloads', () => {
  const template = { metadata: { labels: { app: 'a' } }, spec: podSpec() };
  it('defaults a Deployment', () => {
    const d = defaulted('apps', 'Deployment', {
      metadata: { name: 'd' },
      spec: { template: structuredClone(template) },
    });
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    assert.equal(d.spec.template.metadata.creationTimestamp, null);
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
    assert.equal(
      d.spec.template.spec.serviceAccountName,
      undefined,
      'admission defaults are for pods only',
    );
  });
  it('defaults a StatefulSet', () => {
    const s = defaulted('apps', 'StatefulSet', {
      metadata: { name: 's' },
      spec: {
        template: structuredClone(template),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }],
      },
    });
    assert.equal(s.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(s.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { partition: 0 },
    });
    assert.deepEqual(s.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    assert.deepEqual(s.spec.volumeClaimTemplates[0], {
      metadata: { name: 'data', creationTimestamp: null },
      spec: { volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
  });
  it('defaults a DaemonSet and a ReplicaSet', () => {
    const ds = defaulted('apps', 'DaemonSet', {
      metadata: { name: 'ds' },
      spec: { template: structuredClone(template) },
    });
    assert.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
    const rs = defaulted('apps', 'ReplicaSet', {
      metadata: { name: 'rs' },
      spec: { template: structuredClone(template) },
    });
    assert.equal(rs.spec.replicas, 1);
  });
  it('defaults a ReplicationController from its template', () => {
    const rc = defaulted('', 'ReplicationController', {
      metadata: { name: 'rc' },
      spec: { template: structuredClone(template) },
    });
    assert.deepEqual(rc.spec.selector, { app: 'a' });
    assert.deepEqual(rc.metadata.labels, { app: 'a' });
    assert.equal(rc.spec.replicas, 1);
  });
  it('defaults a Job and generates its selector', () => {
    const job = defaulted('batch', 'Job', {
      metadata: { name: 'pi', uid: 'u1' },
      spec: { template: { spec: { restartPolicy: 'Never', ...podSpec() } } },
    });
    const { template: t, ...rest } = job.spec;
    assert.deepEqual(rest, {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      manualSelector: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
    });
    assert.deepEqual(t.metadata.labels, {
      'job-name': 'pi',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u1',
      'batch.kubernetes.io/controller-uid': 'u1',
    });
    assert.deepEqual(job.metadata.labels, t.metadata.labels);
  });
  it('defaults a CronJob', () => {
    const cj = defaulted('batch', 'CronJob', {
      metadata: { name: 'c' },
      spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: podSpec() } } } },
    });
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');
    assert.equal(cj.spec.suspend, false);
    assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec.failedJobsHistoryLimit, 1);
    assert.equal(
      cj.spec.jobTemplate.spec.backoffLimit,
      undefined,
      'job defaults apply to Jobs, not templates',
    );
  });
});

describe('core kinds', () => {
  it('defaults a Service', () => {
    const svc = defaulted('', 'Service', {
      metadata: { name: 's' },
      spec: { clusterIP: '10.0.0.9', ports: [{ port: 80 }] },
    });
    assert.deepEqual(svc.spec, {
      clusterIP: '10.0.0.9',
      clusterIPs: ['10.0.0.9'],
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    });
    const lb = defaulted('', 'Service', {
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP' },
    });
    assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual(lb.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });
  it('defaults a Namespace', () => {
    const ns = defaulted('', 'Namespace', { metadata: { name: 'team' } });
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team' });
    assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
    assert.equal(ns.status.phase, 'Active');
  });
  it('defaults a Secret and merges stringData', () => {
    const s = defaulted('', 'Secret', { metadata: { name: 's' }, stringData: { user: 'admin' } });
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { user: Buffer.from('admin').toString('base64') });
    assert.equal(s.stringData, undefined);
  });
  it('defaults volumes and claims', () => {
    const pvc = defaulted('', 'PersistentVolumeClaim', {
      metadata: { name: 'c' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } },
    });
    assert.deepEqual(pvc.spec.resources.requests, { storage: '1Gi' });
    assert.equal(pvc.spec.volumeMode, 'Filesystem');
    assert.equal(pvc.status.phase, 'Pending');
    const pv = defaulted('', 'PersistentVolume', {
      metadata: { name: 'v' },
      spec: { hostPath: { path: '/d' } },
    });
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.deepEqual(pv.spec.hostPath, { path: '/d', type: '' });
  });
  it('defaults a LimitRange container item and node allocatable', () => {
    const lr = defaulted('', 'LimitRange', {
      metadata: { name: 'l' },
      spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] },
    });
    assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' });
    assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '2', memory: '64Mi' });
    const node = defaulted('', 'Node', {
      metadata: { name: 'n' },
      status: { capacity: { cpu: '4', memory: '8192Mi' } },
    });
    assert.deepEqual(node.status.allocatable, { cpu: '4', memory: '8Gi' });
  });
  it('defaults Endpoints ports', () => {
    const ep = defaulted('', 'Endpoints', {
      metadata: { name: 'e' },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    });
    assert.equal(ep.subsets[0].ports[0].protocol, 'TCP');
  });
});

describe('other groups', () => {
  it('defaults NetworkPolicy, EndpointSlice and IngressClass', () => {
    const np = defaulted('networking.k8s.io', 'NetworkPolicy', {
      metadata: { name: 'n' },
      spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }], egress: [{}] },
    });
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(np.spec.ingress[0].ports[0].protocol, 'TCP');
    const es = defaulted('discovery.k8s.io', 'EndpointSlice', {
      metadata: { name: 'e' },
      addressType: 'IPv4',
      ports: [{ port: 80 }],
    });
    assert.deepEqual(es.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
    const ic = defaulted('networking.k8s.io', 'IngressClass', {
      metadata: { name: 'i' },
      spec: { controller: 'a.io/b', parameters: { kind: 'K', name: 'n' } },
    });
    assert.equal(ic.spec.parameters.scope, 'Cluster');
  });
  it('defaults RBAC bindings', () => {
    const rb = defaulted('rbac.authorization.k8s.io', 'RoleBinding', {
      metadata: { name: 'b' },
      roleRef: { kind: 'Role', name: 'r' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'ServiceAccount', name: 'sa' },
      ],
    });
    assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
    assert.deepEqual(
      rb.subjects.map((s: O) => s.apiGroup),
      ['rbac.authorization.k8s.io', ''],
    );
  });
  it('defaults storage and priority classes', () => {
    const sc = defaulted('storage.k8s.io', 'StorageClass', {
      metadata: { name: 's' },
      provisioner: 'a.io/b',
    });
    assert.equal(sc.reclaimPolicy, 'Delete');
    assert.equal(sc.volumeBindingMode, 'Immediate');
    const pc = defaulted('scheduling.k8s.io', 'PriorityClass', {
      metadata: { name: 'p' },
      value: 1,
    });
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
  });
  it('defaults autoscalers', () => {
    const v2 = defaulted(
      'autoscaling',
      'HorizontalPodAutoscaler',
      {
        metadata: { name: 'h' },
        spec: { maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      },
      'v2',
    );
    assert.equal(v2.spec.minReplicas, 1);
    assert.deepEqual(v2.spec.metrics, [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
    assert.deepEqual(v2.spec.behavior.scaleDown, {
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      stabilizationWindowSeconds: 60,
    });
    assert.equal(v2.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);
    const v1 = defaulted(
      'autoscaling',
      'HorizontalPodAutoscaler',
      { metadata: { name: 'h' }, spec: { maxReplicas: 3 } },
      'v1',
    );
    assert.deepEqual(v1.spec, { maxReplicas: 3, minReplicas: 1 });
  });
  it('leaves unknown kinds alone', () => {
    const cr = defaulted('example.com', 'Widget', { metadata: { name: 'w' }, spec: { a: 1 } });
    assert.deepEqual(cr, { metadata: { name: 'w' }, spec: { a: 1 } });
  });
});
