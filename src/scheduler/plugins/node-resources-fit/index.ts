export {
  NAME,
  NodeResourcesFit,
  insufficientResources,
  leastRequestedScore,
  type NodeResourcesFitOptions,
} from './node-resources-fit.ts';
