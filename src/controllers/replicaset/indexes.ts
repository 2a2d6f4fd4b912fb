import type { KubeObject } from '../../api/index.ts';
import type { IndexFunc, StoreReader } from '../../client/index.ts';
import { controllerRefOf } from './pods.ts';

// The cache indexes the controller reads by. Informers are shared, and both instances
// (ReplicaSet and ReplicationController) index the same pod cache: the names are ours,
// and an index already there is reused.

/** Pods and owners by namespace. */
export const BY_NAMESPACE = 'replicaset/namespace';
/** Owners by the UID of their own controller (a Deployment), as kube's controllerUIDIndex. */
export const BY_CONTROLLER_UID = 'replicaset/controller-uid';

const INDEXES: Record<string, IndexFunc<KubeObject>> = {
  [BY_NAMESPACE]: (obj) => [obj.metadata?.namespace ?? ''],
  [BY_CONTROLLER_UID]: (obj) => {
    const uid = controllerRefOf(obj)?.uid;
    return uid ? [uid] : [];
  },
};

export function ensureIndex(store: StoreReader, name: keyof typeof INDEXES): void {
  try {
    store.byIndex(name, '');
  } catch {
    store.addIndexer(name, INDEXES[name]!);
  }
}
