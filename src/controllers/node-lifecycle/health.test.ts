import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { microTime } from '../../client/index.ts';
import { observeNodeHealth, type NodeHealth } from './health.ts';
import { nodeCondition } from './node-api.ts';
import { node, T0 } from './test-support.ts';

// observeNodeHealth step by step: what counts as hearing from a node, and what goes
// Unknown when it is silent.

const timings = { gracePeriodMs: 50_000, startupGracePeriodMs: 60_000 };

/** Observes `n` at each time in turn, carrying the record from one look to the next. */
function watch(looks: { at: number; node: KubeObject; lease?: number }[]) {
  let health: NodeHealth | undefined;
  return looks.map(({ at, node: n, lease }) => {
    const copy = structuredClone(n);
    const seen = observeNodeHealth(copy, lease ? microTime(lease) : undefined, health, at, timings);
    health = seen.health;
    return { ...seen, node: copy };
  });
}

describe('observeNodeHealth', () => {
  it('counts a renewed lease as hearing from the node', () => {
    const n = node('a');
    const looks = watch([
      { at: T0, node: n, lease: T0 },
      { at: T0 + 40_000, node: n, lease: T0 + 40_000 },
      { at: T0 + 80_000, node: n, lease: T0 + 80_000 },
    ]);
    assert.deepEqual(
      looks.map((l) => l.mustWrite),
      [false, false, false],
    );
    assert.equal(looks[2]!.health.probeTimestamp, T0 + 80_000);
  });

  it('counts a new Ready heartbeat as hearing from the node, without a lease', () => {
    const looks = watch([
      { at: T0, node: node('a', { heartbeat: T0 }) },
      { at: T0 + 40_000, node: node('a', { heartbeat: T0 + 40_000 }) },
      { at: T0 + 80_000, node: node('a', { heartbeat: T0 + 40_000 }) },
    ]);
    assert.deepEqual(
      looks.map((l) => l.mustWrite),
      [false, false, false],
    );
    assert.equal(looks[2]!.health.probeTimestamp, T0 + 40_000);
  });

  it('sets the agent-owned conditions Unknown after the grace period, once', () => {
    const n = node('a');
    (n.status as { conditions: object[] }).conditions.push({
      type: 'NetworkUnavailable',
      status: 'False',
    });
    const looks = watch([
      { at: T0, node: n, lease: T0 },
      { at: T0 + 50_000, node: n, lease: T0 },
      { at: T0 + 50_001, node: n, lease: T0 },
    ]);
    assert.deepEqual(
      looks.map((l) => l.mustWrite),
      [false, false, true],
    );
    const after = looks[2]!;
    assert.equal(after.observedReady.status, 'True');
    assert.equal(after.currentReady?.status, 'Unknown');
    assert.equal(nodeCondition(after.node, 'NetworkUnavailable')!.status, 'False');
    assert.deepEqual(nodeCondition(after.node, 'DiskPressure'), {
      type: 'DiskPressure',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: rfc3339(T0 - 60_000),
      lastTransitionTime: rfc3339(T0 + 50_001),
    });
    const unknown = after.node;
    const again = watch([
      { at: T0, node: unknown, lease: T0 },
      { at: T0 + 60_000, node: unknown, lease: T0 },
    ]);
    assert.equal(again[1]!.mustWrite, false, 'a node already Unknown is not written again');
  });
});
