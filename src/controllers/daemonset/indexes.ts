import type { KubeObject } from '../../api/index.ts';
import type { IndexFunc, StoreReader } from '../../client/index.ts';

// The cache indexes the controller reads by. Informers are shared with other controllers:
// the index names are ours, and an index already there is reused.

/** DaemonSets, pods and ControllerRevisions by namespace. */
export const BY_NAMESPACE = 'daemonset/namespace';

const byNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

export function ensureNamespaceIndex(store: StoreReader): void {
  try {
    store.byIndex(BY_NAMESPACE, '');
  } catch {
    store.addIndexer(BY_NAMESPACE, byNamespace);
  }
}
