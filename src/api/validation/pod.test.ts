// Pod validation: one valid and one invalid case per rule, with Kubernetes' exact text.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, validateCreate, validateStatusUpdate, validateUpdate } from './index.ts';

const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

type Spec = Record<string, unknown>;
type Container = Record<string, unknown>;

function pod(spec: Spec = {}, container: Container = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
  };
}

function errors(obj: KubeObject): string[] {
  applyDefaults('', 'v1', 'Pod', obj);
  return validateCreate('', 'v1', 'Pod', obj, { namespaced: true }).map(errorString);
}

const C0 = 'spec.containers[0]';

const CASES: [string, KubeObject, string[]][] = [
  ['a minimal pod', pod(), []],
  ['no containers', pod({ containers: [] }), ['spec.containers: Required value']],
  [
    'a bad container name',
    pod({}, { name: 'App' }),
    [`${C0}.name: Invalid value: "App": ${LABEL}`],
  ],
  [
    'duplicate container names',
    pod({
      containers: [
        { name: 'a', image: 'x' },
        { name: 'a', image: 'y' },
      ],
    }),
    ['spec.containers[1].name: Duplicate value: "a"'],
  ],
  ['a missing image', pod({}, { image: '' }), [`${C0}.image: Required value`]],
  [
    'a padded image',
    pod({}, { image: ' nginx' }),
    [`${C0}.image: Invalid value: " nginx": must not have leading or trailing whitespace`],
  ],
  [
    'valid ports',
    pod(
      {},
      {
        ports: [
          { name: 'http', containerPort: 80 },
          { containerPort: 53, protocol: 'UDP' },
        ],
      },
    ),
    [],
  ],
  [
    'a port out of range',
    pod({}, { ports: [{ containerPort: 70000 }] }),
    [`${C0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`],
  ],
  [
    'a missing port number',
    pod({}, { ports: [{ name: 'web' }] }),
    [`${C0}.ports[0].containerPort: Required value`],
  ],
  [
    'an unsupported protocol',
    pod({}, { ports: [{ containerPort: 80, protocol: 'HTTP' }] }),
    [`${C0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`],
  ],
  [
    'a bad port name',
    pod({}, { ports: [{ containerPort: 80, name: 'a-very-long--name' }] }),
    [
      `${C0}.ports[0].name: Invalid value: "a-very-long--name": must be no more than 15 characters`,
      `${C0}.ports[0].name: Invalid value: "a-very-long--name": must not contain consecutive hyphens`,
    ],
  ],
  [
    'duplicate port names',
    pod(
      {},
      {
        ports: [
          { containerPort: 80, name: 'web' },
          { containerPort: 81, name: 'web' },
        ],
      },
    ),
    [`${C0}.ports[1].name: Duplicate value: "web"`],
  ],
  [
    'a host port used twice',
    pod({
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] },
      ],
    }),
    ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
  ],
  [
    'valid env',
    pod(
      {},
      {
        env: [
          { name: 'MY_VAR', value: 'x' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      },
    ),
    [],
  ],
  [
    'an env name with =',
    pod({}, { env: [{ name: 'A=B' }] }),
    [
      `${C0}.env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    ],
  ],
  [
    'an env var without a name',
    pod({}, { env: [{ value: 'x' }] }),
    [`${C0}.env[0].name: Required value`],
  ],
  [
    'an empty valueFrom',
    pod({}, { env: [{ name: 'A', valueFrom: {} }] }),
    [
      `${C0}.env[0].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
    ],
  ],
  [
    'an unsupported downward API field',
    pod({}, { env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.restartPolicy' } } }] }),
    [
      `${C0}.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
    ],
  ],
  [
    'a volume mount of a known volume',
    pod(
      { volumes: [{ name: 'data', emptyDir: {} }] },
      { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
    ),
    [],
  ],
  [
    'a volume mount of an unknown volume',
    pod({}, { volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
    [`${C0}.volumeMounts[0].name: Not found: "data"`],
  ],
  [
    'duplicate volume names',
    pod({
      volumes: [
        { name: 'v', emptyDir: {} },
        { name: 'v', emptyDir: {} },
      ],
    }),
    ['spec.volumes[1].name: Duplicate value: "v"'],
  ],
  [
    'a volume with two sources',
    pod({ volumes: [{ name: 'v', emptyDir: {}, secret: { secretName: 's' } }] }),
    ['spec.volumes[0].secret: Forbidden: may not specify more than 1 volume type'],
  ],
  [
    'a bad volume name',
    pod({ volumes: [{ name: 'V', emptyDir: {} }] }),
    [`spec.volumes[0].name: Invalid value: "V": ${LABEL}`],
  ],
  [
    'an ephemeral volume',
    pod({
      volumes: [
        {
          name: 'scratch',
          ephemeral: {
            volumeClaimTemplate: {
              metadata: { labels: { app: 'web' } },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          },
        },
      ],
    }),
    [],
  ],
  [
    'an ephemeral volume whose claim template has a name and no claim spec',
    pod({
      volumes: [
        {
          name: 'scratch',
          ephemeral: { volumeClaimTemplate: { metadata: { name: 'mine' }, spec: {} } },
        },
      ],
    }),
    [
      'spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.name: Forbidden: cannot be set',
      'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes: Required value: at least 1 access mode is required',
      'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required value',
    ],
  ],
  [
    'an ephemeral volume whose claim name would be too long',
    {
      ...pod({ volumes: [{ name: 'scratch', ephemeral: {} }] }),
      metadata: { name: 'p'.repeat(250), namespace: 'default' },
    },
    [
      'spec.volumes[0].ephemeral.volumeClaimTemplate: Required value',
      `spec.volumes[0].name: Invalid value: "scratch": PVC name "${'p'.repeat(250)}-scratch": must be no more than 253 characters`,
    ],
  ],
  [
    'a secret volume without a name',
    pod({ volumes: [{ name: 'v', secret: {} }] }),
    ['spec.volumes[0].secret.secretName: Required value'],
  ],
  [
    'a file mode over 0777',
    pod({ volumes: [{ name: 'v', configMap: { name: 'c', defaultMode: 1000 } }] }),
    [
      'spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive',
    ],
  ],
  [
    'a relative hostPath backstep',
    pod({ volumes: [{ name: 'v', hostPath: { path: '/a/../b' } }] }),
    ['spec.volumes[0].hostPath.path: Invalid value: "/a/../b": must not contain \'..\''],
  ],
  [
    'an unsupported restartPolicy',
    pod({ restartPolicy: 'Sometimes' }),
    [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ],
  ],
  [
    'an unsupported dnsPolicy',
    pod({ dnsPolicy: 'Cluster' }),
    [
      'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ],
  ],
  [
    'requests within limits',
    pod({}, { resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }),
    [],
  ],
  [
    'requests above limits',
    pod({}, { resources: { limits: { cpu: '1' }, requests: { cpu: '1500m' } } }),
    [
      `${C0}.resources.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1`,
    ],
  ],
  [
    'a negative request',
    pod({}, { resources: { requests: { memory: '-1Gi' } } }),
    [`${C0}.resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0`],
  ],
  [
    'an unparseable quantity',
    pod({}, { resources: { limits: { cpu: 'lots' } } }),
    ['limits', 'requests'].map(
      (f) =>
        `${C0}.resources.${f}[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ),
  ],
  [
    'a non-standard resource name',
    pod({}, { resources: { limits: { gpu: '1' } } }),
    ['limits', 'requests'].flatMap((f) => [
      `${C0}.resources.${f}[gpu]: Invalid value: gpu: must be a standard resource type or fully qualified`,
      `${C0}.resources.${f}[gpu]: Invalid value: gpu: must be a standard resource for containers`,
    ]),
  ],
  ['an extended resource', pod({}, { resources: { limits: { 'example.com/gpu': '1' } } }), []],
  [
    'a fractional extended resource',
    pod({}, { resources: { limits: { 'example.com/gpu': '500m' } } }),
    ['limits', 'requests'].map(
      (f) =>
        `${C0}.resources.${f}[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:5, scale:-1}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be an integer`,
    ),
  ],
  [
    'one probe handler',
    pod(
      {},
      {
        livenessProbe: { httpGet: { port: 8080 } },
        readinessProbe: { tcpSocket: { port: 'http' } },
      },
    ),
    [],
  ],
  [
    'two probe handlers',
    pod({}, { livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } }),
    [`${C0}.livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`],
  ],
  [
    'no probe handler',
    pod({}, { readinessProbe: { periodSeconds: 5 } }),
    [`${C0}.readinessProbe: Required value: must specify a handler type`],
  ],
  [
    'a liveness success threshold above 1',
    pod({}, { livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } }),
    [`${C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`],
  ],
  [
    'a named probe port that is a number',
    pod({}, { livenessProbe: { httpGet: { port: '8080' } } }),
    [
      `${C0}.livenessProbe.httpGet.port: Invalid value: "8080": must contain at least one letter (a-z)`,
    ],
  ],
  [
    'an activeDeadlineSeconds of 0',
    pod({ activeDeadlineSeconds: 0 }),
    ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ],
  [
    'a toleration without key or Exists',
    pod({ tolerations: [{ operator: 'Equal', value: 'x' }] }),
    [
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ],
  ],
  [
    'a hostNetwork hostPort that differs from the port',
    pod({ hostNetwork: true }, { ports: [{ containerPort: 80, hostPort: 8080 }] }),
    [
      'spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true',
    ],
  ],
  ['an init container', pod({ initContainers: [{ name: 'init', image: 'busybox' }] }), []],
  [
    'an init container probe',
    pod({
      initContainers: [
        { name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['x'] } } },
      ],
    }),
    [
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ],
  ],
  [
    'ephemeral containers on create',
    pod({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }),
    ['spec.ephemeralContainers: Forbidden: cannot be set on create'],
  ],
];

describe('pod create', () => {
  for (const [name, obj, want] of CASES) it(name, () => assert.deepEqual(errors(obj), want));
});

function defaulted(o: KubeObject): KubeObject {
  applyDefaults('', 'v1', 'Pod', o);
  o.metadata!.resourceVersion = '1';
  o.metadata!.uid = 'u';
  return o;
}

function updateErrors(old: KubeObject, mutate: (spec: Spec) => void): string[] {
  const o = structuredClone(old);
  mutate(o.spec as Spec);
  return validateUpdate('', 'v1', 'Pod', o, old, { namespaced: true }).map(errorString);
}

const FORBIDDEN_PREFIX =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

describe('pod update', () => {
  const old = defaulted(pod({ activeDeadlineSeconds: 100 }));
  const containers = (s: Spec) => s.containers as Container[];

  it('may change an image', () =>
    assert.deepEqual(
      updateErrors(old, (s) => (containers(s)[0].image = 'nginx:1.28')),
      [],
    ));
  it('may not change anything else', () => {
    const got = updateErrors(old, (s) => (containers(s)[0].command = ['sh']));
    assert.equal(got.length, 1);
    assert.ok(got[0].startsWith(FORBIDDEN_PREFIX), got[0]);
  });
  it('may not add containers', () => {
    assert.deepEqual(
      updateErrors(old, (s) =>
        containers(s).push({
          name: 'b',
          image: 'x',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'Always',
        }),
      ),
      ['spec.containers: Forbidden: pod updates may not add or remove containers'],
    );
  });
  it('may lower activeDeadlineSeconds but not raise it', () => {
    assert.deepEqual(
      updateErrors(old, (s) => (s.activeDeadlineSeconds = 50)),
      [],
    );
    assert.deepEqual(
      updateErrors(old, (s) => (s.activeDeadlineSeconds = 200)),
      [
        'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
      ],
    );
  });
  it('may add tolerations but not change them', () => {
    const tolerated = structuredClone(old);
    (tolerated.spec as Record<string, unknown>).tolerations = [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ];
    const add = { key: 'k', operator: 'Exists', effect: 'NoSchedule' };
    assert.deepEqual(
      updateErrors(tolerated, (s) => (s.tolerations as unknown[]).push(add)),
      [],
    );
    assert.deepEqual(
      updateErrors(tolerated, (s) => ((s.tolerations as Container[])[0].key = 'other')),
      [
        'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
      ],
    );
  });
});

describe('pod status update', () => {
  const old = defaulted(pod());
  const statusErrors = (mutate: (o: KubeObject) => void) => {
    const o = structuredClone(old);
    mutate(o);
    return validateStatusUpdate('', 'v1', 'Pod', o, old, { namespaced: true }).map(errorString);
  };
  it('accepts a new phase and IPs', () => {
    assert.deepEqual(
      statusErrors(
        (o) =>
          (o.status = { ...(o.status as object), phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] }),
      ),
      [],
    );
  });
  it('refuses bad IPs and a changed QoS class', () => {
    assert.deepEqual(
      statusErrors(
        (o) =>
          (o.status = { phase: 'Running', qosClass: 'Guaranteed', podIPs: [{ ip: '10.0.0.500' }] }),
      ),
      [
        'status.qosClass: Invalid value: "Guaranteed": field is immutable',
        'status.podIPs[0]: Invalid value: "10.0.0.500": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    );
  });
});

describe('pod ephemeral containers update', () => {
  const debug = { name: 'debugger', image: 'busybox', targetContainerName: 'app', stdin: true };
  const old = defaulted(pod());
  const ephemeralErrors = (from: KubeObject, mutate: (spec: Spec) => void) => {
    const o = structuredClone(from);
    mutate(o.spec as Spec);
    applyDefaults('', 'v1', 'Pod', o);
    return validateUpdate('', 'v1', 'Pod', o, from, {
      namespaced: true,
      subresource: 'ephemeralcontainers',
    }).map(errorString);
  };
  const withDebug = structuredClone(old);
  (withDebug.spec as Spec).ephemeralContainers = [structuredClone(debug)];
  applyDefaults('', 'v1', 'Pod', withDebug);

  it('accepts an added ephemeral container, which a plain update refuses', () => {
    assert.deepEqual(
      ephemeralErrors(old, (s) => (s.ephemeralContainers = [structuredClone(debug)])),
      [],
    );
    const plain = structuredClone(old);
    (plain.spec as Spec).ephemeralContainers = [structuredClone(debug)];
    applyDefaults('', 'v1', 'Pod', plain);
    const errs = validateUpdate('', 'v1', 'Pod', plain, old, { namespaced: true });
    assert.ok(errorString(errs[0]!).startsWith(FORBIDDEN_PREFIX), errorString(errs[0]!));
  });
  it('refuses removing or changing one, and an unknown target', () => {
    assert.deepEqual(
      ephemeralErrors(withDebug, (s) => (s.ephemeralContainers = [])),
      [
        'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be removed\n',
      ],
    );
    const changed = ephemeralErrors(withDebug, (s) => {
      (s.ephemeralContainers as Container[])[0]!.image = 'busybox:2';
    });
    assert.equal(changed.length, 1);
    assert.ok(
      changed[0]!.startsWith(
        'spec.ephemeralContainers.debugger: Forbidden: existing ephemeral containers "debugger" may not be changed\n  core.EphemeralContainer{\n- \tImage: "busybox",\n+ \tImage: "busybox:2",',
      ),
      changed[0],
    );
    assert.deepEqual(
      ephemeralErrors(
        old,
        (s) => (s.ephemeralContainers = [{ ...debug, targetContainerName: 'nope' }]),
      ),
      ['spec.ephemeralContainers[0].targetContainerName: Not found: "nope"'],
    );
  });
  it('refuses ports, and a name taken by a container', () => {
    assert.deepEqual(
      ephemeralErrors(
        old,
        (s) =>
          (s.ephemeralContainers = [{ ...debug, name: 'app', ports: [{ containerPort: 80 }] }]),
      ),
      [
        'spec.ephemeralContainers[0].name: Duplicate value: "app"',
        'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      ],
    );
  });
});
