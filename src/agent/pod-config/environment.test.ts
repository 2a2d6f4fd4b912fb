import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveEnvironment } from './index.ts';
import {
  configMap,
  KUBERNETES_SERVICE,
  makeContainer,
  makePod,
  makeSources,
  secret,
  service,
} from './testing.ts';
import type { Container, EnvVarSource, PodSpec } from './types.ts';

function envOf(container: Container, spec: PodSpec = {}, objects = OBJECTS, meta = {}) {
  const pod = makePod({ containers: [container], ...spec }, meta);
  return resolveEnvironment(pod, container, makeSources(objects)).env;
}

function asRecord(env: { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

const OBJECTS = [
  configMap('cfg', { MODE: 'prod', LEVEL: 'info', '1badkey': 'kept' }),
  secret('creds', { USER: 'admin', PASS: 'pa$$' }),
];

describe('resolveEnvironment: services', () => {
  const services = [
    KUBERNETES_SERVICE,
    service('my-svc', 'ns1', '10.0.0.11', [
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9090, protocol: 'UDP' },
    ]),
    service('headless', 'ns1', 'None', [{ port: 80 }]),
    service('other', 'ns2', '10.0.0.12', [{ port: 80 }]),
    service('v6', 'ns1', 'fd00::1', [{ port: 53, protocol: 'UDP' }]),
  ];

  it('gives a service with two named ports its host, port and link variables', () => {
    const env = asRecord(envOf(makeContainer(), {}, services));
    const mine = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('MY_SVC')));
    assert.deepEqual(mine, {
      MY_SVC_SERVICE_HOST: '10.0.0.11',
      MY_SVC_SERVICE_PORT: '80',
      MY_SVC_SERVICE_PORT_HTTP: '80',
      MY_SVC_SERVICE_PORT_METRICS: '9090',
      MY_SVC_PORT: 'tcp://10.0.0.11:80',
      MY_SVC_PORT_80_TCP: 'tcp://10.0.0.11:80',
      MY_SVC_PORT_80_TCP_PROTO: 'tcp',
      MY_SVC_PORT_80_TCP_PORT: '80',
      MY_SVC_PORT_80_TCP_ADDR: '10.0.0.11',
      MY_SVC_PORT_9090_UDP: 'udp://10.0.0.11:9090',
      MY_SVC_PORT_9090_UDP_PROTO: 'udp',
      MY_SVC_PORT_9090_UDP_PORT: '9090',
      MY_SVC_PORT_9090_UDP_ADDR: '10.0.0.11',
    });
    assert.equal(env.V6_PORT, 'udp://[fd00::1]:53');
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(env.KUBERNETES_PORT_443_TCP, 'tcp://10.96.0.1:443');
    assert.ok(!Object.keys(env).some((k) => k.startsWith('HEADLESS') || k.startsWith('OTHER')));
  });

  it('keeps only the kubernetes service when enableServiceLinks is false', () => {
    const env = asRecord(envOf(makeContainer(), { enableServiceLinks: false }, services));
    assert.deepEqual(Object.keys(env).sort(), [
      'KUBERNETES_PORT',
      'KUBERNETES_PORT_443_TCP',
      'KUBERNETES_PORT_443_TCP_ADDR',
      'KUBERNETES_PORT_443_TCP_PORT',
      'KUBERNETES_PORT_443_TCP_PROTO',
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_SERVICE_PORT',
      'KUBERNETES_SERVICE_PORT_HTTPS',
    ]);
  });

  it('falls back to the master service address when the kubernetes service is unknown', () => {
    const pod = makePod({ containers: [makeContainer()] });
    const sources = makeSources([], { masterService: { host: '10.0.0.1', port: 6443 } });
    const env = asRecord(resolveEnvironment(pod, makeContainer(), sources).env);
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.0.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '6443');
    assert.equal(env.KUBERNETES_PORT, 'tcp://10.0.0.1:6443');
  });

  it('uses the master service address over a kubernetes service the node cannot route', () => {
    const pod = makePod({ containers: [makeContainer()] });
    const master = { host: '10.0.0.1', port: 6443 };
    const routed = makeSources([KUBERNETES_SERVICE], { masterService: master });
    const env = asRecord(resolveEnvironment(pod, makeContainer(), routed).env);
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.96.0.1');
    const unrouted = makeSources([KUBERNETES_SERVICE], {
      masterService: { ...master, replacesService: true },
    });
    const env2 = asRecord(resolveEnvironment(pod, makeContainer(), unrouted).env);
    assert.equal(env2.KUBERNETES_SERVICE_HOST, '10.0.0.1');
    assert.equal(env2.KUBERNETES_SERVICE_PORT, '6443');
  });
});

describe('resolveEnvironment: precedence and expansion', () => {
  it('orders services, then envFrom, then env; later sources win', () => {
    const container = makeContainer({
      envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'S_', secretRef: { name: 'creds' } }],
      env: [
        { name: 'LEVEL', value: 'debug' },
        { name: 'KUBERNETES_SERVICE_HOST', value: 'overridden' },
      ],
    });
    const env = envOf(container, {}, [...OBJECTS, KUBERNETES_SERVICE]);
    const names = env.map((e) => e.name);
    assert.equal(names[0], 'KUBERNETES_SERVICE_PORT');
    assert.deepEqual(names.slice(-6), [
      'MODE',
      '1badkey',
      'S_USER',
      'S_PASS',
      'LEVEL',
      'KUBERNETES_SERVICE_HOST',
    ]);
    const rec = asRecord(env);
    assert.equal(rec.LEVEL, 'debug');
    assert.equal(rec.S_PASS, 'pa$$');
    assert.equal(rec['1badkey'], 'kept', 'every envFrom key is passed through (k8s >= 1.30)');
    assert.equal(rec.KUBERNETES_SERVICE_HOST, 'overridden');
    assert.equal(names.filter((n) => n === 'KUBERNETES_SERVICE_HOST').length, 1);
  });

  const cases: { name: string; env: Container['env']; want: Record<string, string> }[] = [
    {
      name: 'references earlier env, envFrom and service variables',
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: '$(A)-$(MODE)-$(KUBERNETES_SERVICE_PORT)' },
      ],
      want: { B: 'a-prod-443' },
    },
    {
      name: 'leaves later and unknown references as written',
      env: [
        { name: 'B', value: '$(C)$(NOPE)' },
        { name: 'C', value: 'c' },
      ],
      want: { B: '$(C)$(NOPE)' },
    },
    {
      name: 'escapes $$',
      env: [{ name: 'E', value: '$$(MODE) costs $$5' }],
      want: { E: '$(MODE) costs $5' },
    },
    {
      name: 'sees a value from valueFrom declared before it',
      env: [
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'URL', value: 'http://$(NODE):10250' },
      ],
      want: { URL: 'http://node-a:10250' },
    },
    { name: 'empty value', env: [{ name: 'EMPTY', value: '' }], want: { EMPTY: '' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const container = makeContainer({ envFrom: [{ configMapRef: { name: 'cfg' } }], env: c.env });
      const rec = asRecord(envOf(container, {}, [...OBJECTS, KUBERNETES_SERVICE]));
      for (const [k, v] of Object.entries(c.want)) assert.equal(rec[k], v, k);
    });
  }
});

describe('resolveEnvironment: valueFrom', () => {
  const meta = {
    labels: { app: 'web', tier: 'front' },
    annotations: { 'example.com/note': 'a "q"\n' },
  };
  const resources = {
    limits: { cpu: '500m', memory: '256Mi' },
    requests: { cpu: '250m', memory: '128Mi', 'ephemeral-storage': '1Gi' },
  };
  const cases: [EnvVarSource, string][] = [
    [{ fieldRef: { fieldPath: 'metadata.name' } }, 'web-0'],
    [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }, 'ns1'],
    [{ fieldRef: { fieldPath: 'metadata.uid' } }, 'uid-1'],
    [{ fieldRef: { fieldPath: "metadata.labels['app']" } }, 'web'],
    [{ fieldRef: { fieldPath: "metadata.labels['missing']" } }, ''],
    [{ fieldRef: { fieldPath: 'metadata.labels' } }, 'app="web"\ntier="front"'],
    [{ fieldRef: { fieldPath: "metadata.annotations['example.com/note']" } }, 'a "q"\n'],
    [{ fieldRef: { fieldPath: 'metadata.annotations' } }, 'example.com/note="a \\"q\\"\\n"'],
    [{ fieldRef: { fieldPath: 'spec.nodeName' } }, 'node-a'],
    [{ fieldRef: { fieldPath: 'spec.serviceAccountName' } }, 'default'],
    [{ fieldRef: { fieldPath: 'status.hostIP' } }, '192.168.1.10'],
    [{ fieldRef: { fieldPath: 'status.hostIPs' } }, '192.168.1.10'],
    [{ fieldRef: { fieldPath: 'status.podIP' } }, '10.244.0.7'],
    [{ fieldRef: { fieldPath: 'status.podIPs' } }, '10.244.0.7,fd00::7'],
    [{ resourceFieldRef: { resource: 'limits.cpu' } }, '1'],
    [{ resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } }, '500'],
    [{ resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } }, '250'],
    [{ resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } }, '256'],
    [{ resourceFieldRef: { resource: 'requests.memory' } }, String(128 * 1024 * 1024)],
    [{ resourceFieldRef: { resource: 'requests.ephemeral-storage', divisor: '1Mi' } }, '1024'],
    // Unset limits default to node allocatable.
    [{ resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } }, '100'],
    [
      { resourceFieldRef: { containerName: 'side', resource: 'limits.memory', divisor: '1Gi' } },
      '8',
    ],
    [{ resourceFieldRef: { containerName: 'init', resource: 'limits.cpu' } }, '0'],
    [{ configMapKeyRef: { name: 'cfg', key: 'MODE' } }, 'prod'],
    [{ secretKeyRef: { name: 'creds', key: 'PASS' } }, 'pa$$'],
  ];
  for (const [valueFrom, want] of cases) {
    it(JSON.stringify(valueFrom), () => {
      const container = makeContainer({ resources, env: [{ name: 'V', valueFrom }] });
      const spec = {
        containers: [container, { name: 'side' }],
        initContainers: [{ name: 'init' }],
      };
      const pod = makePod(spec, meta);
      const env = resolveEnvironment(pod, container, makeSources(OBJECTS)).env;
      assert.equal(asRecord(env).V, want);
    });
  }
});

describe('resolveEnvironment: optional and missing', () => {
  const cases: { name: string; container: Container; error?: string; absent?: string }[] = [
    {
      name: 'missing ConfigMap in envFrom',
      container: makeContainer({ envFrom: [{ configMapRef: { name: 'x' } }] }),
      error: 'configmap "x" not found',
    },
    {
      name: 'missing Secret in envFrom',
      container: makeContainer({ envFrom: [{ secretRef: { name: 'x' } }] }),
      error: 'secret "x" not found',
    },
    {
      name: 'missing key of a ConfigMap',
      container: makeContainer({
        env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'y' } } }],
      }),
      error: "couldn't find key y in ConfigMap ns1/cfg",
    },
    {
      name: 'missing key of a Secret',
      container: makeContainer({
        env: [{ name: 'V', valueFrom: { secretKeyRef: { name: 'creds', key: 'y' } } }],
      }),
      error: "couldn't find key y in Secret ns1/creds",
    },
    {
      name: 'missing ConfigMap of a key ref',
      container: makeContainer({
        env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }],
      }),
      error: 'configmap "x" not found',
    },
    {
      name: 'unsupported field',
      container: makeContainer({
        env: [{ name: 'V', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }],
      }),
      error: 'field label not supported: spec.hostname',
    },
    {
      name: 'optional envFrom objects',
      container: makeContainer({
        envFrom: [
          { configMapRef: { name: 'x', optional: true } },
          { secretRef: { name: 'y', optional: true } },
        ],
      }),
    },
    {
      name: 'optional missing key: no variable',
      container: makeContainer({
        env: [
          { name: 'V', valueFrom: { secretKeyRef: { name: 'creds', key: 'y', optional: true } } },
        ],
      }),
      absent: 'V',
    },
    {
      name: 'optional missing object: no variable',
      container: makeContainer({
        env: [
          { name: 'V', valueFrom: { configMapKeyRef: { name: 'x', key: 'y', optional: true } } },
        ],
      }),
      absent: 'V',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.error) {
        assert.throws(
          () => envOf(c.container),
          (err) => {
            assert.ok(err instanceof ConfigError);
            assert.equal(err.message, c.error);
            return true;
          },
        );
        return;
      }
      const env = asRecord(envOf(c.container));
      if (c.absent) assert.ok(!(c.absent in env));
    });
  }
});
