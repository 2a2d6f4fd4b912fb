import { registerDriver } from './registry.ts';
import type { Backend } from './types.ts';

export type {
  Backend,
  KeyValue,
  ListOptions,
  ListResult,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WatchStream,
  WriteOptions,
  StoreErrorCode,
} from './types.ts';
export { MAX_VALUE_BYTES, StoreError, isStoreError } from './types.ts';
export { openStore } from './registry.ts';
export { encodeContinue as encodeContinueToken } from './continue-token.ts';
export { openSqliteBackend } from './sqlite/index.ts';
export { startCompactor } from './compactor.ts';

// The etcd driver (gRPC and its protobuf runtime) loads only when etcd is used.
registerDriver('etcd', async (location) =>
  (await import('./etcd/index.ts')).openEtcdLocation(location),
);

export async function openEtcdBackend(
  ...args: Parameters<typeof import('./etcd/index.ts').openEtcdBackend>
): Promise<Backend> {
  return (await import('./etcd/index.ts')).openEtcdBackend(...args);
}
