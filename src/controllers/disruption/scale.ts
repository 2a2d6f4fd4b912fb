import type { KubeObject, OwnerReference } from '../../api/index.ts';
import { parseApiVersion } from '../../api/index.ts';
import type { ResourceRef, StoreReader } from '../../client/index.ts';
import { controllerOf, type ScaleFinder } from '../../api/disruption/index.ts';

// Where expectedPods comes from: the scale of the controller of each selected pod. As in
// Kubernetes, the four built-in workload kinds are read from the informer caches
// (spec.replicas; a ReplicaSet owned by a Deployment counts as its Deployment), and any
// other kind is asked for through the API with its scale subresource.

export const REPLICATION_CONTROLLERS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'replicationcontrollers',
  namespaced: true,
};
export const REPLICA_SETS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
  namespaced: true,
};
export const DEPLOYMENTS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  namespaced: true,
};
export const STATEFUL_SETS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
  namespaced: true,
};

export interface WorkloadCaches {
  replicationControllers: StoreReader;
  replicaSets: StoreReader;
  deployments: StoreReader;
  statefulSets: StoreReader;
}

/** verifyGroupKind: the reference names `kind` in one of `groups`. */
function refersTo(ref: OwnerReference, kind: string, groups: string[]): boolean {
  return ref.kind === kind && groups.includes(parseApiVersion(ref.apiVersion).group);
}

function replicasOf(obj: KubeObject): number {
  // spec.replicas defaults to 1 for every workload kind.
  return (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
}

/** The cached object `ref` names in `namespace`, if it is the one with that uid. */
function cached(store: StoreReader, ref: { name: string; uid: string }, namespace: string) {
  const obj = store.get(`${namespace}/${ref.name}`);
  return obj && obj.metadata?.uid === ref.uid ? obj : undefined;
}

/**
 * The finders of Kubernetes, in its order: ReplicationController, Deployment (through its
 * ReplicaSet), ReplicaSet not owned by a Deployment, StatefulSet, then `viaScale` for any
 * kind. The first that knows the controller answers.
 */
export function workloadScaleFinder(caches: WorkloadCaches, viaScale: ScaleFinder): ScaleFinder {
  const found = (obj: KubeObject) => ({ uid: obj.metadata!.uid!, replicas: replicasOf(obj) });
  const finders: ScaleFinder[] = [
    async (ref, ns) => {
      if (!refersTo(ref, 'ReplicationController', [''])) return null;
      const rc = cached(caches.replicationControllers, ref, ns);
      return rc ? found(rc) : null;
    },
    async (ref, ns) => {
      if (!refersTo(ref, 'ReplicaSet', ['apps', 'extensions'])) return null;
      const rs = cached(caches.replicaSets, ref, ns);
      const owner = rs && controllerOf(rs);
      if (!owner || !refersTo(owner, 'Deployment', ['apps', 'extensions'])) return null;
      const deployment = cached(caches.deployments, owner, ns);
      return deployment ? found(deployment) : null;
    },
    async (ref, ns) => {
      if (!refersTo(ref, 'ReplicaSet', ['apps', 'extensions'])) return null;
      const rs = cached(caches.replicaSets, ref, ns);
      if (!rs || controllerOf(rs)?.kind === 'Deployment') return null;
      return found(rs);
    },
    async (ref, ns) => {
      if (!refersTo(ref, 'StatefulSet', ['apps'])) return null;
      const ss = cached(caches.statefulSets, ref, ns);
      return ss ? found(ss) : null;
    },
    viaScale,
  ];
  return async (ref, ns) => {
    for (const finder of finders) {
      const result = await finder(ref, ns);
      if (result) return result;
    }
    return null;
  };
}
