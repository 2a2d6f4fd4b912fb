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
export { openEtcdBackend } from './etcd/index.ts';
