import type { KubeObject } from '../../../api/index.ts';
import {
  SKIP,
  SUCCESS,
  unresolvable,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Status,
} from '../../framework/index.ts';
import { podSpec } from '../helper/index.ts';

// NodeName: a pod that already names its node fits only there.

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = NAME;

  preFilter(_state: CycleState, pod: KubeObject): Status {
    return podSpec(pod).nodeName ? SUCCESS : SKIP;
  }

  filter(_state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    const wanted = podSpec(pod).nodeName;
    return !wanted || wanted === node.name ? SUCCESS : unresolvable(ERR_REASON);
  }
}
