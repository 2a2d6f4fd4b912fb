export {
  NAME,
  NodeResourcesBalancedAllocation,
  balancedResourceScore,
} from './node-resources-balanced-allocation.ts';
