// Services and Endpoints.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.ts';
import { applyDefaults } from '../defaults/index.ts';
import { errorString, validateCreate, validateUpdate } from './index.ts';

type Spec = Record<string, unknown>;

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const svc = (spec: Spec): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
});

function errors(kind: string, obj: KubeObject): string[] {
  applyDefaults('', 'v1', kind, obj);
  return validateCreate('', 'v1', kind, obj, { namespaced: true }).map(errorString);
}

describe('Service', () => {
  const cases: [string, Spec, string[]][] = [
    ['a ClusterIP service', {}, []],
    ['no ports', { ports: [] }, ['spec.ports: Required value']],
    ['a headless service without ports', { ports: [], clusterIP: 'None' }, []],
    [
      'an ExternalName service',
      { type: 'ExternalName', externalName: 'db.example.com.', ports: [], selector: undefined },
      [],
    ],
    [
      'a bad external name',
      { type: 'ExternalName', externalName: 'Bad_Name', ports: [] },
      [`spec.externalName: Invalid value: "Bad_Name": ${SUBDOMAIN}`],
    ],
    [
      'a missing external name',
      { type: 'ExternalName', ports: [] },
      ['spec.externalName: Required value'],
    ],
    [
      'two unnamed ports',
      { ports: [{ port: 80 }, { port: 443 }] },
      ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'],
    ],
    [
      'two ports with one name',
      {
        ports: [
          { name: 'web', port: 80 },
          { name: 'web', port: 443 },
        ],
      },
      ['spec.ports[1].name: Duplicate value: "web"'],
    ],
    [
      'port 0',
      { ports: [{ port: 0, targetPort: 80 }] },
      ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    [
      'an unsupported protocol',
      { ports: [{ port: 80, protocol: 'ICMP' }] },
      ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'a bad named target port',
      { ports: [{ port: 80, targetPort: 'Web' }] },
      [
        'spec.ports[0].targetPort: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      ],
    ],
    [
      'an unsupported type',
      { type: 'Mesh' },
      [
        'spec.type: Unsupported value: "Mesh": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
    ['a node port in range', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }, []],
    [
      'a node port out of range',
      { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] },
      [
        'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
      ],
    ],
    [
      'a node port on a ClusterIP service',
      { ports: [{ port: 80, nodePort: 30080 }] },
      ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ],
    [
      'an unsupported session affinity',
      { sessionAffinity: 'Cookie' },
      ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    ],
    [
      'a bad external IP',
      { externalIPs: ['1.2.3'] },
      [
        'spec.externalIPs[0]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ],
    ],
    [
      'a loopback external IP',
      { externalIPs: ['127.0.0.1'] },
      [
        'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      ],
    ],
    [
      'a bad selector value',
      { selector: { app: 'a b' } },
      [
        "spec.selector: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    ],
  ];
  for (const [name, spec, want] of cases)
    it(name, () => assert.deepEqual(errors('Service', svc(spec)), want));

  it('keeps its cluster IP', () => {
    const old = svc({ clusterIP: '10.0.0.1' });
    applyDefaults('', 'v1', 'Service', old);
    old.metadata!.resourceVersion = '1';
    const next = structuredClone(old);
    const spec = next.spec as Spec;
    spec.clusterIP = '10.0.0.2';
    spec.clusterIPs = ['10.0.0.2'];
    assert.deepEqual(
      validateUpdate('', 'v1', 'Service', next, old, { namespaced: true }).map(errorString),
      ['spec.clusterIPs[0]: Invalid value: []string{"10.0.0.2"}: may not change once set'],
    );
  });
});

describe('Endpoints', () => {
  const ep = (addresses: unknown[], ports: unknown[] = [{ port: 80 }]): KubeObject => ({
    metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses, ports }],
  });
  it('accepts addresses and ports', () =>
    assert.deepEqual(errors('Endpoints', ep([{ ip: '10.1.2.3' }])), []));
  it('refuses a bad and a loopback address', () => {
    assert.deepEqual(errors('Endpoints', ep([{ ip: 'x' }, { ip: '127.0.0.1' }])), [
      'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address',
      'subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]);
  });
  it('needs addresses', () => {
    assert.deepEqual(errors('Endpoints', ep([])), [
      'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`',
    ]);
  });
});
