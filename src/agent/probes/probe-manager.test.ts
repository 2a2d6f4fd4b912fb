import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import type { Container } from '../k8s-types.ts';
import { ProbeManager } from './probe-manager.ts';

// Probe timing and thresholds with a fake clock: results are scripted per probe kind.

function setup(results: Record<string, boolean[]>) {
  const clock = new FakeClock(0);
  const changes: string[] = [];
  const unhealthy: string[] = [];
  const calls: string[] = [];
  const manager = new ProbeManager(
    async (probe) => {
      const kind =
        probe === container.livenessProbe
          ? 'liveness'
          : probe === container.readinessProbe
            ? 'readiness'
            : 'startup';
      calls.push(kind);
      const next = results[kind]!.shift();
      return { ok: next ?? true, message: next === false ? `${kind} says no` : '' };
    },
    {
      changed: (uid) => changes.push(uid),
      unhealthy: (_u, c, kind, m) => unhealthy.push(`${c} ${kind} ${m}`),
    },
    clock,
  );
  const container: Container = { name: 'web' };
  return { clock, manager, container, changes, unhealthy, calls };
}

async function advance(clock: FakeClock, ms: number) {
  for (let t = 0; t < ms; t += 500) {
    clock.advance(500);
    await new Promise((r) => setImmediate(r));
  }
}

describe('ProbeManager', () => {
  it('holds readiness until the probe passes, after initialDelaySeconds', async () => {
    const s = setup({ readiness: [false, true] });
    s.container.readinessProbe = {
      exec: { command: ['true'] },
      initialDelaySeconds: 5,
      periodSeconds: 2,
    };
    s.manager.ensure('pod-1', s.container, 'c1', '10.0.0.1');
    assert.deepEqual(s.manager.state('c1'), { started: true, ready: false });
    await advance(s.clock, 4_500);
    assert.deepEqual(s.calls, []);
    await advance(s.clock, 1_000);
    assert.deepEqual(s.calls, ['readiness']);
    assert.equal(s.manager.state('c1').ready, false);
    assert.deepEqual(s.unhealthy, ['web readiness readiness says no']);
    await advance(s.clock, 2_000);
    assert.equal(s.manager.state('c1').ready, true);
    assert.deepEqual(s.changes, ['pod-1']);
  });

  it('fails liveness only after failureThreshold failures in a row', async () => {
    const s = setup({ liveness: [false, true, false, false, false] });
    s.container.livenessProbe = {
      exec: { command: ['true'] },
      periodSeconds: 1,
      failureThreshold: 3,
    };
    s.manager.ensure('pod-1', s.container, 'c1', '10.0.0.1');
    await advance(s.clock, 3_000);
    assert.equal(s.manager.state('c1').failed, undefined);
    await advance(s.clock, 2_000);
    assert.deepEqual(s.manager.state('c1').failed, {
      kind: 'liveness',
      message: 'liveness says no',
    });
    const probes = s.calls.length;
    await advance(s.clock, 5_000);
    assert.equal(s.calls.length, probes, 'a failed container is probed no more');
  });

  it('runs liveness and readiness only once the startup probe passed', async () => {
    const s = setup({ startup: [false, false, true], liveness: [true], readiness: [true] });
    s.container.startupProbe = {
      exec: { command: ['true'] },
      periodSeconds: 1,
      failureThreshold: 10,
    };
    s.container.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 1 };
    s.container.readinessProbe = { exec: { command: ['true'] }, periodSeconds: 1 };
    s.manager.ensure('pod-1', s.container, 'c1', '10.0.0.1');
    assert.deepEqual(s.manager.state('c1'), { started: false, ready: false });
    await advance(s.clock, 2_500);
    assert.deepEqual(s.calls, ['startup', 'startup', 'startup']);
    assert.equal(s.manager.state('c1').started, true);
    await advance(s.clock, 1_000);
    assert.ok(s.calls.includes('liveness') && s.calls.includes('readiness'));
    assert.equal(s.manager.state('c1').ready, true);
  });

  it('forgets the workers of containers that are gone', async () => {
    const s = setup({ liveness: [] });
    s.container.livenessProbe = { exec: { command: ['true'] }, periodSeconds: 1 };
    s.manager.ensure('pod-1', s.container, 'c1', '10.0.0.1');
    s.manager.retain(new Set());
    await advance(s.clock, 3_000);
    assert.deepEqual(s.calls, []);
    assert.deepEqual(s.manager.state('c1'), { started: true, ready: true });
  });
});
