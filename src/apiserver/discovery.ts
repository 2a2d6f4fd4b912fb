import type { ResourceRegistry, ResourceType, Subresource } from '../api/index.ts';
import { apiVersionOf } from '../api/index.ts';

// Discovery documents, built from the resource registry: the aggregated form
// (apidiscovery.k8s.io v2 and v2beta1) that kubectl ≥ 1.26 asks for, and the legacy
// APIVersions / APIGroupList / APIResourceList that older clients and libraries read.

interface GroupVersionKindRef {
  group: string;
  version: string;
  kind: string;
}

const SUBRESOURCE_INFO: Record<Subresource, { kind?: GroupVersionKindRef; verbs: string[] }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: {
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    verbs: ['get', 'patch', 'update'],
  },
  binding: { kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
  eviction: { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
  log: { verbs: ['get'] },
  exec: { kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
  attach: {
    kind: { group: '', version: 'v1', kind: 'PodAttachOptions' },
    verbs: ['create', 'get'],
  },
  portforward: {
    kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
    verbs: ['create', 'get'],
  },
  proxy: {
    kind: { group: '', version: 'v1', kind: 'PodProxyOptions' },
    verbs: ['create', 'delete', 'get', 'patch', 'update'],
  },
  token: {
    kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
    verbs: ['create'],
  },
  finalize: { verbs: ['update'] },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
};

function subresourceKind(t: ResourceType, sub: Subresource): GroupVersionKindRef {
  const kind = SUBRESOURCE_INFO[sub].kind;
  if (kind && sub === 'proxy' && t.kind !== 'Pod')
    return { ...kind, kind: `${t.kind}ProxyOptions` };
  return kind ?? { group: t.group, version: t.version, kind: t.kind };
}

function aggregatedResource(t: ResourceType) {
  return {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? {
          subresources: t.subresources.map((sub) => ({
            subresource: sub,
            responseKind: subresourceKind(t, sub),
            verbs: SUBRESOURCE_INFO[sub].verbs,
          })),
        }
      : {}),
  };
}

export function aggregatedDiscovery(
  registry: ResourceRegistry,
  which: 'api' | 'apis',
  version: 'v2' | 'v2beta1',
) {
  const groups = registry
    .groups()
    .filter((g) => (which === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry.resourcesOf(g.group, v).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function legacyApiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]) {
  const gvs = versions.map((v) => ({ groupVersion: apiVersionOf(group, v), version: v }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function legacyGroupList(registry: ResourceRegistry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => apiGroup(g.group, g.versions)),
  };
}

export function legacyGroup(registry: ResourceRegistry, group: string) {
  const found = registry.groups().find((g) => g.group === group);
  if (!found || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, found.versions) };
}

export function legacyResourceList(registry: ResourceRegistry, group: string, version: string) {
  const resources = registry.resourcesOf(group, version).flatMap((t) => [
    {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    },
    ...t.subresources.map((sub) => {
      const k = subresourceKind(t, sub);
      return {
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(k.group !== t.group || k.version !== t.version
          ? { group: k.group, version: k.version }
          : {}),
        kind: k.kind,
        verbs: SUBRESOURCE_INFO[sub].verbs,
      };
    }),
  ]);
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources,
  };
}
