export { DaemonSetController, type DaemonSetControllerOptions } from './controller.ts';
export type { DaemonSetCaches, DaemonSetClient, EventSink } from './context.ts';
export { EXPECTATIONS_TIMEOUT_MS } from '../expectations/index.ts';
export { nodeShouldRunDaemonPod, type NodePlacement } from './placement.ts';
export { BURST_REPLICAS, REVISION_HASH_LABEL } from './types.ts';
