import { namespaceIndex, type StoreReader } from '../../client/index.ts';

/** Jobs and pods by namespace; our own index name, so no other controller's collides. */
export const BY_NAMESPACE = 'job/namespace';

/** Adds BY_NAMESPACE to a shared informer's store unless it is there already. */
export function ensureNamespaceIndex(store: StoreReader): void {
  try {
    store.byIndex(BY_NAMESPACE, '');
  } catch {
    store.addIndexer(BY_NAMESPACE, namespaceIndex);
  }
}
