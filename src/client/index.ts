// The client side of the API: what controllers, the scheduler, the node agent and tests use.
export {
  RestClient,
  type ResourceRef,
  type RestClientOptions,
  type ObjectList,
  type ListOptions,
  type WriteOptions,
  type UpdateOptions,
  type PatchType,
  type PatchOptions,
  type DeleteOptions,
  type WatchOptions,
  type WatchEvent,
} from './rest-client.ts';
export {
  ApiError,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isGone,
  isInvalid,
  isNamespaceTerminating,
  hasStatusCause,
  type Status,
} from './api-error.ts';
export { fromKubeconfig, loadKubeconfig } from './kubeconfig.ts';
export { WorkQueue, type WorkQueueOptions } from './workqueue.ts';
export {
  defaultControllerRateLimiter,
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './rate-limiter.ts';
export { Informer, type EventHandler, type InformerOptions } from './informer.ts';
export { InformerFactory } from './informer-factory.ts';
export {
  objectKey,
  splitKey,
  NAMESPACE_INDEX,
  namespaceIndex,
  type StoreReader,
  type IndexFunc,
} from './store.ts';
export {
  LeaderElection,
  runWhileLeading,
  LEASES,
  microTime,
  type LeaderElectionOptions,
  type LeaderCallbacks,
} from './leader-election.ts';
export { realClock, FakeClock, type Clock } from './clock.ts';
export { stderrLogger, type Logger } from './logger.ts';
export {
  componentThreadRole,
  serveComponentThread,
  startComponentThread,
  type ComponentConnection,
  type ComponentThread,
} from './component-thread.ts';
export { EventRecorder } from './event-recorder.ts';
