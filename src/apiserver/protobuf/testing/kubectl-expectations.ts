// What the request body of each fixture command must hold, beyond matching kubectl's own
// `-o json --dry-run=client` output: the request path and a few fields by name.
import assert from 'node:assert/strict';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Per command: the request line, and what the decoded object must hold. */
export const EXPECTED: Record<string, [path: string, check: (o: Json) => void]> = {
  namespace: ['/api/v1/namespaces', (o) => assert.equal(o.metadata.name, 'foo')],
  deployment: [
    '/apis/apps/v1/namespaces/default/deployments',
    (o) => {
      assert.equal(o.spec.replicas, 2);
      assert.deepEqual(o.spec.selector, { matchLabels: { app: 'web' } });
      assert.deepEqual(o.spec.template.spec.containers, [
        { name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], resources: {} },
      ]);
    },
  ],
  'deployment-images': [
    '/apis/apps/v1/namespaces/default/deployments',
    (o) => {
      assert.equal(o.spec.replicas, 0); // a pointer: sent, and kept, though zero
      assert.deepEqual(
        o.spec.template.spec.containers.map((c: Json) => c.image),
        ['nginx', 'redis:7'],
      );
    },
  ],
  configmap: [
    '/api/v1/namespaces/default/configmaps',
    (o) => assert.deepEqual(o.data, { a: 'b', empty: '' }),
  ],
  'secret-generic': [
    '/api/v1/namespaces/default/secrets',
    (o) => assert.deepEqual([o.type, o.data], ['Opaque', { p: base64('q') }]),
  ],
  'secret-tls': [
    '/api/v1/namespaces/default/secrets',
    (o) => {
      assert.equal(o.type, 'kubernetes.io/tls');
      assert.match(
        Buffer.from(o.data['tls.crt'], 'base64').toString(),
        /^-----BEGIN CERTIFICATE-----/,
      );
      assert.match(
        Buffer.from(o.data['tls.key'], 'base64').toString(),
        /^-----BEGIN PRIVATE KEY-----/,
      );
    },
  ],
  'secret-docker-registry': [
    '/api/v1/namespaces/default/secrets',
    (o) => {
      const config = JSON.parse(Buffer.from(o.data['.dockerconfigjson'], 'base64').toString());
      assert.equal(config.auths['r.example.com'].auth, base64('u:p'));
    },
  ],
  job: [
    '/apis/batch/v1/namespaces/default/jobs',
    (o) => {
      assert.deepEqual(o.spec.template.spec.containers[0].command, ['echo', 'hi']);
      assert.equal(o.spec.template.spec.restartPolicy, 'Never');
    },
  ],
  cronjob: [
    '/apis/batch/v1/namespaces/default/cronjobs',
    (o) => {
      assert.equal(o.spec.schedule, '*/1 * * * *');
      assert.equal(o.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
    },
  ],
  'service-clusterip': [
    '/api/v1/namespaces/default/services',
    (o) =>
      assert.deepEqual(
        o.spec.ports.map((p: Json) => [p.port, p.targetPort]),
        [
          [80, 8080],
          [443, 'https'],
        ],
      ),
  ],
  'service-clusterip-none': [
    '/api/v1/namespaces/default/services',
    (o) => assert.equal(o.spec.clusterIP, 'None'),
  ],
  'service-nodeport': [
    '/api/v1/namespaces/default/services',
    (o) => assert.equal(o.spec.ports[0].nodePort, 30080),
  ],
  'service-loadbalancer': [
    '/api/v1/namespaces/default/services',
    (o) => assert.equal(o.spec.type, 'LoadBalancer'),
  ],
  'service-externalname': [
    '/api/v1/namespaces/default/services',
    (o) => assert.deepEqual([o.spec.type, o.spec.externalName], ['ExternalName', 'example.com']),
  ],
  role: [
    '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
    (o) =>
      assert.deepEqual(o.rules[1], {
        verbs: ['get', 'list'],
        apiGroups: ['apps'],
        resources: ['deployments'],
        resourceNames: ['web'],
      }),
  ],
  rolebinding: [
    '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
    (o) => {
      assert.deepEqual(o.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'r',
      });
      assert.deepEqual(o.subjects[1], { kind: 'ServiceAccount', name: 'sa', namespace: 'default' });
    },
  ],
  clusterrole: [
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    (o) => assert.deepEqual(o.rules[0].resources, ['nodes']),
  ],
  'clusterrole-nonresource': [
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    (o) => assert.deepEqual(o.rules[0].nonResourceURLs, ['/logs/*']),
  ],
  'clusterrole-aggregate': [
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    (o) => {
      assert.equal(o.rules, null); // `json:"rules"` without omitempty: Go prints null
      assert.deepEqual(o.aggregationRule.clusterRoleSelectors[0].matchLabels, {
        'rbac.example.com/aggregate': 'true',
      });
    },
  ],
  clusterrolebinding: [
    '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    (o) =>
      assert.deepEqual(
        o.subjects.map((s: Json) => s.kind),
        ['User', 'Group'],
      ),
  ],
  priorityclass: [
    '/apis/scheduling.k8s.io/v1/priorityclasses',
    (o) =>
      assert.deepEqual([o.value, o.description, o.preemptionPolicy], [10, 'important', 'Never']),
  ],
  'priorityclass-default': [
    '/apis/scheduling.k8s.io/v1/priorityclasses',
    (o) => assert.deepEqual([o.value, o.globalDefault], [0, true]),
  ],
  pdb: [
    '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
    (o) => assert.equal(o.spec.minAvailable, 1),
  ],
  'pdb-percent': [
    '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
    (o) => assert.equal(o.spec.maxUnavailable, '50%'),
  ],
  quota: [
    '/api/v1/namespaces/default/resourcequotas',
    (o) =>
      assert.deepEqual(o.spec, {
        hard: { cpu: '1', memory: '1Gi', pods: '3' },
        scopes: ['BestEffort'],
      }),
  ],
  ingress: [
    '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
    (o) => {
      assert.equal(o.spec.ingressClassName, 'nginx');
      assert.deepEqual(o.spec.rules[0].http.paths[0].backend.service, {
        name: 'svc',
        port: { number: 80 },
      });
      assert.deepEqual(o.spec.tls, [{ hosts: ['bar.com'], secretName: 'secret1' }]);
    },
  ],
  'ingress-default-backend': [
    '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
    (o) => assert.equal(o.spec.defaultBackend.service.port.number, 8080),
  ],
  serviceaccount: [
    '/api/v1/namespaces/default/serviceaccounts',
    (o) => assert.equal(o.metadata.name, 'sa'),
  ],
  token: [
    '/api/v1/namespaces/default/serviceaccounts/sa/token',
    (o) =>
      assert.deepEqual(o.spec, {
        audiences: ['api'],
        boundObjectRef: null,
        expirationSeconds: 3600,
      }),
  ],
  'token-bound': [
    '/api/v1/namespaces/default/serviceaccounts/sa/token',
    (o) =>
      assert.deepEqual(o.spec.boundObjectRef, {
        kind: 'Pod',
        apiVersion: 'v1',
        name: 'p1',
        uid: 'u-p1',
      }),
  ],
  'can-i': [
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    (o) =>
      assert.deepEqual(o.spec.resourceAttributes, {
        namespace: 'default',
        verb: 'get',
        resource: 'pods',
      }),
  ],
  'can-i-subresource': [
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    (o) =>
      assert.deepEqual(o.spec.resourceAttributes, {
        namespace: 'prod',
        verb: 'create',
        group: 'apps',
        resource: 'deployments',
        name: 'scale',
      }),
  ],
  'can-i-nonresource': [
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    (o) => assert.deepEqual(o.spec.nonResourceAttributes, { path: '/logs', verb: 'get' }),
  ],
  'can-i-list': [
    '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    (o) => assert.deepEqual(o.spec, { namespace: 'default' }),
  ],
  whoami: [
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    (o) => assert.equal(o.kind, 'SelfSubjectReview'),
  ],
  autoscale: [
    '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
    (o) =>
      assert.deepEqual(o.spec, {
        scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
        minReplicas: 2,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 80,
      }),
  ],
  // kubectl 1.33 creates autoscaling/v2 objects, whatever discovery offers.
  'autoscale@v1.33': [
    '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers',
    (o) =>
      assert.deepEqual(o.spec.metrics, [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ]),
  ],
  'debug-node': [
    '/api/v1/namespaces/default/pods',
    (o) => {
      assert.match(o.metadata.name, /^node-debugger-n1-/);
      assert.deepEqual([o.spec.nodeName, o.spec.containers[0].image], ['n1', 'busybox']);
    },
  ],
  'debug-copy': [
    '/api/v1/namespaces/default/pods',
    (o) => {
      assert.equal(o.metadata.name, 'p1-debug');
      assert.equal(o.spec.shareProcessNamespace, true);
      assert.deepEqual(
        o.spec.containers.map((c: Json) => c.name),
        ['app', 'dbg'],
      );
    },
  ],
};
