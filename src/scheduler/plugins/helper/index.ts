export * from './spec.ts';
export * from './taints.ts';
export { compileNodeSelectorTerm, termMatches, RequiredNodeAffinity } from './node-selector.ts';
export type { CompiledTerm } from './node-selector.ts';
export { compileSelector, selects, type CompiledSelector } from './label-selector.ts';
export {
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  isScalarResourceName,
  nodeNonZeroRequested,
  nonZeroRequests,
  type CpuMemory,
} from './requests.ts';
export { removedPods } from './removed-pods.ts';
export { countMatching, type PodMatcher } from './match-count.ts';
