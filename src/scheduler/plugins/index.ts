import type { FilterPlugin, ScorePlugin } from '../framework/index.ts';
import { InterPodAffinity } from './inter-pod-affinity/index.ts';
import { NodeAffinity } from './node-affinity/index.ts';
import { NodeName } from './node-name/index.ts';
import { NodePorts } from './node-ports/index.ts';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation/index.ts';
import { NodeResourcesFit } from './node-resources-fit/index.ts';
import { NodeUnschedulable } from './node-unschedulable/index.ts';
import { PodTopologySpread } from './pod-topology-spread/index.ts';
import { TaintToleration } from './taint-toleration/index.ts';

// The default profile of kube-scheduler 1.32, for the plugins wharf has. Order matters:
// a node is rejected by the first filter that says no, and only that filter's reasons
// reach the FailedScheduling message. ImageLocality (score weight 1) and the volume
// plugins are not implemented.

/** Filters in the default profile's order. Fresh instances on every call. */
export function defaultFilterPlugins(): FilterPlugin[] {
  return [
    new NodeUnschedulable(),
    new NodeName(),
    new TaintToleration(),
    new NodeAffinity(),
    new NodePorts(),
    new NodeResourcesFit(),
    new PodTopologySpread(),
    new InterPodAffinity(),
  ];
}

/** Score plugins in the default profile's order, with its weights. */
export function defaultScorePlugins(): ScorePlugin[] {
  return [
    new TaintToleration(3),
    new NodeAffinity(2),
    new NodeResourcesFit({ weight: 1 }),
    new PodTopologySpread(2),
    new InterPodAffinity(2),
    new NodeResourcesBalancedAllocation(1),
  ];
}

export { failureMessage, reasonsHistogram, NO_NODES_AVAILABLE } from './failure-message.ts';
export { InterPodAffinity, NodeAffinity, NodeName, NodePorts, NodeResourcesBalancedAllocation };
export { NodeResourcesFit, NodeUnschedulable, PodTopologySpread, TaintToleration };
