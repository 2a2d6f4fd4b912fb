// The pure scheduling predicates that more than one component needs (the parts of
// k8s.io/component-helpers/scheduling and k8s.io/api's Toleration that wharf uses): the
// scheduler's filters and the DaemonSet controller's NodeShouldRunDaemonPod.
export {
  compileNodeSelectorTerm,
  hasLabel,
  termMatches,
  type CompiledTerm,
  type NodeAffinity,
  type NodeSelectorRequirement,
  type NodeSelectorTerm,
} from './node-affinity.ts';
export { toleratesTaint, tolerationsTolerateTaint, type Taint, type Toleration } from './taints.ts';
