export {
  ReplicaSetController,
  type ReplicaSetCaches,
  type ReplicaSetControllerOptions,
} from './controller.ts';
export type { EventSink, ReplicaSetClient } from './context.ts';
export { EXPECTATIONS_TIMEOUT_MS } from '../expectations/index.ts';
export { KINDS, type ReplicaSetKind } from './kinds.ts';
export { BURST_REPLICAS } from './manage.ts';
