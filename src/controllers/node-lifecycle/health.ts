import { rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { microTimeValue, nodeCondition, nodeConditions, type NodeCondition } from './node-api.ts';

// tryUpdateNodeHealth of kube's node lifecycle controller, as a pure step: what the
// controller last saw of a node (probe time, Ready transition time, conditions, the
// lease's renewTime) and what it sees now give the next record and, when the node has
// been silent for longer than its grace period, the conditions to write.
//
// A node is heard from when the lease's renewTime moves forward or the Ready condition's
// lastHeartbeatTime changes; the probe time is then the controller's own clock, so clock
// skew between the node and the control plane does not matter.

export interface NodeHealth {
  /** When the node was last heard from (controller clock, ms). */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The node's conditions as last seen. */
  conditions: NodeCondition[];
  /** The lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export interface HealthTimings {
  /** --node-monitor-grace-period. */
  gracePeriodMs: number;
  /** --node-startup-grace-period: for a node that never posted a Ready condition. */
  startupGracePeriodMs: number;
}

export interface HealthObservation {
  health: NodeHealth;
  /** The Ready condition as the node had it (a stand-in Unknown one when it had none). */
  observedReady: NodeCondition;
  /** The Ready condition after this step (undefined if the node has none). */
  currentReady: NodeCondition | undefined;
  /** True when `node`'s conditions were changed and must be written (UpdateStatus). */
  mustWrite: boolean;
}

/** The conditions the agent owns; NetworkUnavailable belongs to the control plane. */
export const AGENT_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/**
 * Observes `node` (a copy the caller owns: its conditions are set to Unknown in place when
 * the grace period has passed) and the renewTime of its lease.
 */
export function observeNodeHealth(
  node: KubeObject,
  leaseRenewTime: string | undefined,
  saved: NodeHealth | undefined,
  now: number,
  timings: HealthTimings,
): HealthObservation {
  const created = Date.parse(node.metadata?.creationTimestamp ?? '') || now;
  const createdTs = node.metadata?.creationTimestamp ?? rfc3339(created);
  const conditions = structuredClone(nodeConditions(node));
  let currentReady = nodeCondition(node, 'Ready');
  let observedReady: NodeCondition;
  let gracePeriodMs: number;
  let health = saved ? { ...saved } : undefined;
  if (!currentReady) {
    // The agent never posted a status: count from the node's creation, with the longer
    // startup grace period.
    observedReady = {
      type: 'Ready',
      status: 'Unknown',
      lastHeartbeatTime: createdTs,
      lastTransitionTime: createdTs,
    };
    gracePeriodMs = timings.startupGracePeriodMs;
    if (health) health.conditions = conditions;
    else health = { probeTimestamp: created, readyTransitionTimestamp: created, conditions };
  } else {
    observedReady = structuredClone(currentReady);
    gracePeriodMs = timings.gracePeriodMs;
  }

  const savedReady = health?.conditions.find((c) => c.type === 'Ready');
  const savedLease = health?.leaseRenewTime;
  if (!health) {
    health = { probeTimestamp: now, readyTransitionTimestamp: now, conditions };
  } else if (!savedReady && currentReady) {
    // First sight of this node's Ready condition (the controller restarted, say).
    health = {
      probeTimestamp: now,
      readyTransitionTimestamp: now,
      conditions,
      leaseRenewTime: savedLease,
    };
  } else if (savedReady && !currentReady) {
    health = {
      probeTimestamp: now,
      readyTransitionTimestamp: now,
      conditions,
      leaseRenewTime: savedLease,
    };
  } else if (
    savedReady &&
    currentReady &&
    savedReady.lastHeartbeatTime !== currentReady.lastHeartbeatTime
  ) {
    const transitioned = savedReady.lastTransitionTime !== currentReady.lastTransitionTime;
    health = {
      probeTimestamp: now,
      readyTransitionTimestamp: transitioned ? now : health.readyTransitionTimestamp,
      conditions,
      leaseRenewTime: savedLease,
    };
  }
  // A renewed lease always counts. An agent that never posted a status but renews its
  // lease is taken as healthy, as in Kubernetes.
  if (
    leaseRenewTime &&
    (savedLease === undefined || microTimeValue(savedLease) < microTimeValue(leaseRenewTime))
  ) {
    health.leaseRenewTime = leaseRenewTime;
    health.probeTimestamp = now;
  }

  let mustWrite = false;
  if (now > health.probeTimestamp + gracePeriodMs) {
    const status = (node.status ??= {}) as { conditions?: NodeCondition[] };
    const list = (status.conditions ??= []);
    const nowTs = rfc3339(now);
    for (const type of AGENT_CONDITIONS) {
      const c = list.find((x) => x.type === type);
      if (!c) {
        list.push({
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          lastHeartbeatTime: createdTs,
          lastTransitionTime: nowTs,
        });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = nowTs;
      }
    }
    currentReady = list.find((x) => x.type === 'Ready');
    mustWrite = JSON.stringify(currentReady) !== JSON.stringify(observedReady);
  }
  return { health, observedReady, currentReady, mustWrite };
}

/** The record after the Unknown conditions were written. */
export function afterUnknownWritten(
  health: NodeHealth,
  node: KubeObject,
  leaseRenewTime: string | undefined,
  now: number,
): NodeHealth {
  return {
    probeTimestamp: health.probeTimestamp,
    readyTransitionTimestamp: now,
    conditions: structuredClone(nodeConditions(node)),
    leaseRenewTime,
  };
}
