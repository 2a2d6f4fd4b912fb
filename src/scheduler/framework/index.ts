export * from './types.ts';
export {
  emptyResources,
  fromResourceList,
  addResources,
  subtractResources,
  podRequests,
  nodeAllocatable,
} from './resources.ts';
export { nodeWithPods } from './node-info.ts';
