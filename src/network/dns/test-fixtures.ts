import type { KubeObject } from '../../api/index.ts';
import { staticDirectory } from './directory.ts';

// One small cluster for the resolver's and the server's tests: a ClusterIP service with
// a TCP and a UDP port, a dual-stack one, a port-less one, an ExternalName, and a
// headless service with a named, an unnamed and a not-ready endpoint.

export function service(namespace: string, name: string, spec: object): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

export function endpointSlice(
  namespace: string,
  name: string,
  serviceName: string,
  body: object,
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ...body,
  };
}

export const fixtureObjects: KubeObject[] = [
  service('default', 'web', {
    type: 'ClusterIP',
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    ports: [
      { name: 'http', protocol: 'TCP', port: 80 },
      { name: 'dns', protocol: 'UDP', port: 53 },
    ],
  }),
  service('default', 'dual', {
    clusterIP: '10.96.0.11',
    clusterIPs: ['10.96.0.11', 'fd00::b'],
    ports: [{ name: 'http', port: 8080 }],
  }),
  service('default', 'bare', { clusterIP: '10.96.0.12' }),
  service('default', 'ext', { type: 'ExternalName', externalName: 'example.com.' }),
  service('data', 'db', {
    clusterIP: 'None',
    ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
  }),
  endpointSlice('data', 'db-abc', 'db', {
    ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
    endpoints: [
      { addresses: ['10.1.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.1.0.6'], hostname: 'db-1', conditions: { ready: false } },
      { addresses: ['10.1.0.7'] },
    ],
  }),
  // Not a DNS name's business: no service label.
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'data', name: 'stray' },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.0.99'] }],
  },
];

export const fixtureDirectory = () => staticDirectory(fixtureObjects);
