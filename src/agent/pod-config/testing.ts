import type { KubeObject } from '../../api/index.ts';
import type { ConfigSources, Container, Pod, PodSpec } from './types.ts';

// Fixtures of this folder's tests: a pod, and sources backed by plain lists.

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function makePod(spec: PodSpec, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'ns1', uid: 'uid-1', ...meta },
    spec: { nodeName: 'node-a', serviceAccountName: 'default', ...spec },
  };
}

export function makeContainer(fields: Partial<Container> = {}): Container {
  return { name: 'app', ...fields };
}

export function configMap(
  name: string,
  data: Record<string, string>,
  namespace = 'ns1',
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** A Secret holding `data` (plain text here, base64 in the object). */
export function secret(name: string, data: Record<string, string>, namespace = 'ns1'): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: encoded };
}

export function service(
  name: string,
  namespace: string,
  clusterIP: string,
  ports: { name?: string; port: number; protocol?: string }[],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP, ports },
  };
}

export const KUBERNETES_SERVICE = service('kubernetes', 'default', '10.96.0.1', [
  { name: 'https', port: 443, protocol: 'TCP' },
]);

/** Sources over mutable lists: tests change `objects` to simulate informer updates. */
export function makeSources(
  objects: KubeObject[] = [],
  overrides: Partial<ConfigSources> = {},
): ConfigSources & { objects: KubeObject[] } {
  const find = (kind: string, ns: string, name: string): KubeObject | undefined =>
    sources.objects.find(
      (o) => o.kind === kind && o.metadata?.namespace === ns && o.metadata?.name === name,
    );
  const sources: ConfigSources & { objects: KubeObject[] } = {
    objects,
    configMap: (ns, name) => find('ConfigMap', ns, name),
    secret: (ns, name) => find('Secret', ns, name),
    services: (ns) =>
      sources.objects.filter(
        (o) =>
          o.kind === 'Service' &&
          (o.metadata?.namespace === ns ||
            (o.metadata?.namespace === 'default' && o.metadata?.name === 'kubernetes')),
      ),
    nodeName: 'node-a',
    hostIP: '192.168.1.10',
    podIPs: ['10.244.0.7', 'fd00::7'],
    nodeAllocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' },
    ...overrides,
  };
  return sources;
}
