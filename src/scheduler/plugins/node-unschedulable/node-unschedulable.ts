import type { KubeObject } from '../../../api/index.ts';
import {
  SUCCESS,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Status,
} from '../../framework/index.ts';
import { nodeSpec, podSpec, tolerationsTolerateTaint, type Taint } from '../helper/index.ts';

// NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods, except pods
// that tolerate the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).

export const NAME = 'NodeUnschedulable';
export const ERR_REASON = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = Object.freeze({
  key: 'node.kubernetes.io/unschedulable',
  effect: 'NoSchedule',
});

export class NodeUnschedulable implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    if (!nodeSpec(node).unschedulable) return SUCCESS;
    if (tolerationsTolerateTaint(podSpec(pod).tolerations, UNSCHEDULABLE_TAINT)) return SUCCESS;
    return unresolvable(ERR_REASON);
  }
}
