export {
  NodeLifecycleController,
  type NodeLifecycleCaches,
  type NodeLifecycleClient,
  type NodeLifecycleOptions,
} from './controller.ts';
export {
  TaintEvictionController,
  type TaintEvictionCaches,
  type TaintEvictionClient,
  type TaintEvictionOptions,
} from './taint-eviction.ts';
export type { EventSink } from './pods.ts';
export {
  isNodeReady,
  nodeTaints,
  TAINT_NOT_READY,
  TAINT_OUT_OF_SERVICE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Taint,
  type Toleration,
} from './node-api.ts';
