// core/v1 pods: READY, STATUS and RESTARTS computed as kube-apiserver 1.32's printPod does.

import type { KubeObject, Printer } from '../types.ts';
import { age, ageCol, col, nameCol, wide } from './columns.ts';
import { humanDuration, parseTime } from './duration.ts';
import { type Json, int, isDeleting, isRecord, list, nameOf, rec, recs, str } from './fields.ts';

// The reason the node lifecycle controller sets on pods of an unreachable node.
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** A sidecar: an init container with restartPolicy Always. */
function isRestartableInitContainer(container: Json | undefined): boolean {
  return container !== undefined && container.restartPolicy === 'Always';
}

function hasTrueCondition(status: Json, type: string): boolean {
  return recs(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** Status of the first `Initialized` condition, as isPodInitializedConditionTrue reads it. */
function isInitializedConditionTrue(status: Json): boolean {
  const cond = recs(status.conditions).find((c) => c.type === 'Initialized');
  return cond?.status === 'True';
}

/** finishedAt of lastState.terminated, or null when there is none (or it is zero). */
function lastTerminationTime(containerStatus: Json): number | null {
  const terminated = rec(containerStatus.lastState).terminated;
  return isRecord(terminated) ? parseTime(terminated.finishedAt) : null;
}

function later(a: number | null, b: number | null): number | null {
  if (b === null) return a;
  return a === null || a < b ? b : a;
}

/** STATUS text of a container that terminated without a reason. */
function exitText(terminated: Json, prefix: string): string {
  const signal = int(terminated.signal);
  return signal !== 0
    ? `${prefix}Signal:${signal}`
    : `${prefix}ExitCode:${int(terminated.exitCode)}`;
}

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  lastRestart: number | null;
}

/** READY counts, STATUS reason and restart totals of a pod, as printPod computes them. */
export function summarizePod(pod: KubeObject): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  // Phase is always set by the API server (Pending on create).
  const phase = str(status.phase) || 'Pending';
  let reason = str(status.reason) || phase;
  for (const c of recs(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = recs(spec.initContainers);
  const initByName = new Map<string, Json>();
  let total = list(spec.containers).length;
  for (const c of initSpecs) {
    initByName.set(str(c.name), c);
    if (isRestartableInitContainer(c)) total++;
  }

  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | null = null;
  let lastSidecarRestart: number | null = null;
  let initializing = false;
  const initStatuses = recs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const finished = lastTerminationTime(cs);
    restarts += int(cs.restartCount);
    lastRestart = later(lastRestart, finished);
    const sidecar = isRestartableInitContainer(initByName.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const state = rec(cs.state);
    const terminated = isRecord(state.terminated) ? state.terminated : undefined;
    const waiting = isRecord(state.waiting) ? state.waiting : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      const why = str(terminated.reason);
      reason = why === '' ? exitText(terminated, 'Init:') : `Init:${why}`;
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitializedConditionTrue(status)) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = recs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, lastTerminationTime(cs));
      const state = rec(cs.state);
      const waiting = rec(state.waiting);
      const terminated = isRecord(state.terminated) ? state.terminated : undefined;
      if (isRecord(state.waiting) && str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (terminated) {
        reason = str(terminated.reason) || exitText(terminated, '');
      } else if (cs.ready === true && isRecord(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    // Statuses are read last to first, so `reason` is the first container's. If that one
    // completed while another still runs, the pod counts as Running (or NotReady). 1.32 does
    // not yet prefer another container's error reason here (added in 1.35).
    if (reason === 'Completed' && hasRunning) {
      reason = hasTrueCondition(status, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (isDeleting(pod) && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (isDeleting(pod) && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }
  return { ready, total, reason, restarts, lastRestart };
}

function readinessGates(spec: Json, status: Json): string {
  const gates = recs(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = recs(status.conditions);
  let trueCount = 0;
  for (const gate of gates) {
    const cond = conditions.find((c) => c.type === gate.conditionType);
    if (cond?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageCol(),
    wide('IP', 'string', 'IP address allocated to the pod; routable at least within the cluster.'),
    wide('Node', 'string', 'Name of the node this pod is scheduled onto.'),
    wide('Nominated Node', 'string', 'Node where the pod may be scheduled after preemption.'),
    wide('Readiness Gates', 'string', 'Pod conditions that count towards pod readiness.'),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const status = rec(obj.status);
    const s = summarizePod(obj);
    const restarts =
      s.restarts !== 0 && s.lastRestart !== null
        ? `${s.restarts} (${humanDuration(now.getTime() - s.lastRestart)} ago)`
        : `${s.restarts}`;
    // podIPs is the source of truth; podIP mirrors its first entry in v1.
    const podIP = str(rec(recs(status.podIPs)[0]).ip) || str(status.podIP);
    return [
      nameOf(obj),
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      age(obj, now),
      podIP || '<none>',
      str(spec.nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      readinessGates(spec, status),
    ];
  },
};
