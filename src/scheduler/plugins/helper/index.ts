export * from './spec.ts';
export * from './taints.ts';
export { compileNodeSelectorTerm, termMatches, RequiredNodeAffinity } from './node-selector.ts';
export type { CompiledTerm } from './node-selector.ts';
export { compileSelector, selects, type CompiledSelector } from './label-selector.ts';
export { isScalarResourceName } from './requests.ts';
export { removedPods } from './removed-pods.ts';
export { countMatching, type PodMatcher } from './match-count.ts';
