import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KubeObject } from '../types.ts';
import { printerFor } from './index.ts';

const now = new Date('2025-01-15T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const md = (name: string, extra: object = {}) => ({
  name,
  namespace: 'default',
  creationTimestamp: ago(3600),
  ...extra,
});

function check(resource: string, obj: KubeObject, want: unknown[]) {
  assert.deepEqual(printerFor('', resource).cells(obj, now), want);
}

test('services', () => {
  const svc = (spec: object, status: object = {}): KubeObject => ({
    metadata: md('svc'),
    spec,
    status,
  });
  check(
    'services',
    svc({
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    }),
    [
      'svc',
      'ClusterIP',
      '10.96.0.10',
      '<none>',
      '53/UDP,53/TCP,9153/TCP',
      '60m',
      'k8s-app=kube-dns',
    ],
  );
  check(
    'services',
    svc({
      type: 'NodePort',
      clusterIPs: ['10.96.12.1'],
      selector: { app: 'web', tier: 'front' },
      ports: [
        { port: 80, nodePort: 30080, protocol: 'TCP' },
        { port: 443, protocol: 'TCP' },
      ],
    }),
    [
      'svc',
      'NodePort',
      '10.96.12.1',
      '<none>',
      '80:30080/TCP,443/TCP',
      '60m',
      'app=web,tier=front',
    ],
  );
  check(
    'services',
    svc({
      type: 'LoadBalancer',
      clusterIPs: ['10.96.0.5'],
      ports: [{ port: 80, nodePort: 31000 }],
    }),
    ['svc', 'LoadBalancer', '10.96.0.5', '<pending>', '80:31000/TCP', '60m', '<none>'],
  );
  check(
    'services',
    svc(
      {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.0.5'],
        externalIPs: ['198.51.100.1'],
        ports: [{ port: 80, nodePort: 31000, protocol: 'TCP' }],
      },
      {
        loadBalancer: {
          ingress: [{ hostname: 'lb.example.com' }, { ip: '203.0.113.7' }, { ip: '203.0.113.7' }],
        },
      },
    ),
    [
      'svc',
      'LoadBalancer',
      '10.96.0.5',
      '203.0.113.7,lb.example.com,198.51.100.1',
      '80:31000/TCP',
      '60m',
      '<none>',
    ],
  );
  check('services', svc({ type: 'ExternalName', externalName: 'db.example.com' }), [
    'svc',
    'ExternalName',
    '<none>',
    'db.example.com',
    '<none>',
    '60m',
    '<none>',
  ]);
  check(
    'services',
    svc({
      clusterIP: 'None',
      clusterIPs: ['None'],
      externalIPs: ['198.51.100.2'],
      ports: [{ port: 5432, protocol: 'TCP' }],
    }),
    ['svc', 'ClusterIP', 'None', '198.51.100.2', '5432/TCP', '60m', '<none>'],
  );
});
