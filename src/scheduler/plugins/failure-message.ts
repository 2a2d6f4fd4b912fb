import type { Status } from '../framework/index.ts';

// The text of kube-scheduler's FitError (framework/types.go), which becomes the
// FailedScheduling event and the PodScheduled condition's message:
//   0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}.
// Every reason of every node's status is counted; the "<count> <reason>" strings are
// sorted as plain strings (Go's sort.Strings, so "10 …" sorts before "2 …") and joined
// with ", ". When a pre-filter rejected the pod outright, its message stands alone instead
// of a per-node histogram. With no nodes at all the scheduler says something else.

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The reasons histogram, as sortReasonsHistogram builds it. */
export function reasonsHistogram(statuses: Map<string, Status>): string[] {
  const counts = new Map<string, number>();
  for (const status of statuses.values()) {
    for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const [reason, n] of counts) out.push(`${n} ${reason}`);
  return out.sort(byCodeUnits);
}

/**
 * `0/N nodes are available: <histogram>.` for a pod that fits nowhere. Pass the
 * pre-filter's status when one rejected the pod for every node at once: kube-scheduler
 * then prints its reasons (joined with ", ") once instead of counting them per node.
 */
export function failureMessage(
  nodeCount: number,
  statuses: Map<string, Status>,
  preFilterStatus?: Status,
): string {
  if (nodeCount === 0) return NO_NODES_AVAILABLE;
  let message = `0/${nodeCount} nodes are available:`;
  if (preFilterStatus && preFilterStatus.reasons.length > 0) {
    return `${message} ${preFilterStatus.reasons.join(', ')}.`;
  }
  const histogram = reasonsHistogram(statuses);
  if (histogram.length > 0) message += ` ${histogram.join(', ')}.`;
  return message;
}
