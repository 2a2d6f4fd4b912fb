export * from './types.ts';
export {
  emptyResources,
  fromResourceList,
  addResources,
  subtractResources,
  podRequests,
  podNonZeroRequests,
  podInfo,
  nodeAllocatable,
  DEFAULT_MILLI_CPU_REQUEST,
  DEFAULT_MEMORY_REQUEST,
} from './resources.ts';
export { nodeWithPods } from './node-info.ts';
