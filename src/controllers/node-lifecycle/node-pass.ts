import type { KubeObject } from '../../api/index.ts';
import {
  nodeConditions,
  nodeTaints,
  taintExists,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Taint,
} from './node-api.ts';

// What the node lifecycle controller does on every change of a Node, besides watching its
// health: NoSchedule taints that mirror its conditions (doNoScheduleTaintingPass, once
// called TaintNodesByCondition) and the beta OS/arch labels (reconcileNodeLabels).

/** nodeConditionToTaintKeyStatusMap: condition type → status → taint key. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};

const CONDITION_TAINT_KEYS = new Set(
  Object.values(CONDITION_TAINTS).flatMap((byStatus) => Object.values(byStatus)),
);

/**
 * The NoSchedule taints to add and remove so that the node's condition taints (and the
 * unschedulable taint of a cordoned node) match its conditions. NoSchedule taints with
 * other keys are not ours and are never touched.
 */
export function noScheduleTaintDiff(node: KubeObject): { add: Taint[]; remove: Taint[] } {
  const wanted: Taint[] = [];
  for (const c of nodeConditions(node)) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) wanted.push({ key, effect: 'NoSchedule' });
  }
  if ((node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true) {
    wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  }
  const ours = nodeTaints(node).filter(
    (t) =>
      t.effect === 'NoSchedule' &&
      (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)),
  );
  return {
    add: wanted.filter((t) => !taintExists(ours, t)),
    remove: ours.filter((t) => !taintExists(wanted, t)),
  };
}

/** labelReconcileInfo: the beta label follows the stable one, and is added if missing. */
const LABEL_PAIRS: [primary: string, secondary: string][] = [
  ['kubernetes.io/os', 'beta.kubernetes.io/os'],
  ['kubernetes.io/arch', 'beta.kubernetes.io/arch'],
];

/** The labels to set, or undefined when the node's labels are already consistent. */
export function labelsToReconcile(node: KubeObject): Record<string, string> | undefined {
  const labels = node.metadata?.labels;
  if (!labels) return undefined;
  const update: Record<string, string> = {};
  for (const [primary, secondary] of LABEL_PAIRS) {
    const value = labels[primary];
    if (value === undefined) continue;
    if (labels[secondary] !== value) update[secondary] = value;
  }
  return Object.keys(update).length > 0 ? update : undefined;
}
