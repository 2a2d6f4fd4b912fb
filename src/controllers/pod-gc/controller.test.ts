import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock } from '../../client/index.ts';
import { PodGCController, type PodGCOptions } from './controller.ts';
import {
  node,
  pod,
  recordingClient,
  seededStore,
  silent,
  summary,
  T0,
} from '../node-lifecycle/test-support.ts';

// The pod GC against seeded caches: one pass per reconcile, then the API calls.

function harness(nodes: KubeObject[], pods: KubeObject[], opts: PodGCOptions = {}) {
  const objects: Record<string, KubeObject> = {};
  for (const n of nodes) objects[`nodes/${n.metadata!.name}`] = n;
  for (const p of pods) objects[`pods/${p.metadata!.name}`] = structuredClone(p);
  const { client, calls } = recordingClient(objects);
  const clock = new FakeClock(T0);
  const gc = new PodGCController(
    client,
    undefined,
    { nodes: seededStore(nodes).store, pods: seededStore(pods).store },
    silent,
    { clock, ...opts },
  );
  return { gc, calls, clock, objects };
}

describe('PodGCController', () => {
  it('deletes terminated pods beyond the threshold, evicted first, then oldest', async () => {
    const at = (minutes: number) => T0 - minutes * 60_000;
    const h = harness(
      [node('n')],
      [
        pod('old-ok', 'n', { phase: 'Succeeded', created: at(50) }),
        pod('older-failed', 'n', { phase: 'Failed', created: at(60) }),
        pod('new-evicted', 'n', { phase: 'Failed', reason: 'Evicted', created: at(1) }),
        pod('newest', 'n', { phase: 'Succeeded', created: at(2) }),
        pod('b-same', 'n', { phase: 'Succeeded', created: at(10) }),
        pod('a-same', 'n', { phase: 'Succeeded', created: at(10) }),
        pod('running', 'n', { created: at(100) }),
      ],
      { terminatedPodGCThreshold: 2 },
    );
    assert.deepEqual(await h.gc.reconcile('gc'), { requeueAfterMs: 20_000 });
    assert.deepEqual(summary(h.calls), [
      'delete pods/new-evicted',
      'delete pods/older-failed',
      'delete pods/old-ok',
      'delete pods/a-same',
    ]);
    assert.deepEqual(h.calls[0]!.options, { gracePeriodSeconds: 0 });
  });

  it('leaves terminated pods alone below the threshold', async () => {
    const h = harness([node('n')], [pod('done', 'n', { phase: 'Succeeded' })]);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), []);
  });

  it('force-deletes pods of a node that is gone, after its quarantine, marking them Failed', async () => {
    const h = harness([node('n')], [pod('orphan', 'gone'), pod('fine', 'n')]);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), [], 'the node may only be missing from the cache');
    h.clock.advance(39_000);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), []);
    h.clock.advance(1_000);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), [
      'get nodes/gone',
      'patch pods/orphan/status',
      'delete pods/orphan',
    ]);
    assert.deepEqual(h.calls[1]!.body, {
      metadata: { uid: 'uid-orphan' },
      status: {
        phase: 'Failed',
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'DeletionByPodGC',
            message: 'PodGC: node no longer exists',
            lastProbeTime: null,
            lastTransitionTime: new Date(h.clock.now()).toISOString().replace('.000', ''),
          },
        ],
      },
    });
    assert.deepEqual(h.calls[2]!.options, { gracePeriodSeconds: 0 });
  });

  it('keeps pods of a node the API still has', async () => {
    const late = node('late');
    const h = harness([], [pod('p', 'late')], { quarantineSeconds: 1 });
    h.objects['nodes/late'] = late;
    await h.gc.reconcile('gc');
    h.clock.advance(1_000);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), ['get nodes/late']);
  });

  it('force-deletes terminating pods that were never scheduled', async () => {
    const h = harness([], [pod('p', undefined, { phase: 'Pending', deleting: true })]);
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), ['patch pods/p/status', 'delete pods/p']);
    assert.deepEqual(h.calls[0]!.body, { metadata: { uid: 'uid-p' }, status: { phase: 'Failed' } });
  });

  it('force-deletes terminating pods on a NotReady node tainted out-of-service', async () => {
    const outOfService = [
      { key: 'node.kubernetes.io/out-of-service', value: 'shutdown', effect: 'NoExecute' },
    ];
    const h = harness(
      [
        node('dead', { ready: 'Unknown', taints: outOfService }),
        node('ready', { taints: outOfService }),
        node('unknown', { ready: 'Unknown' }),
      ],
      [
        pod('on-dead', 'dead', { deleting: true }),
        pod('on-ready', 'ready', { deleting: true }),
        pod('on-unknown', 'unknown', { deleting: true }),
        pod('running-on-dead', 'dead'),
      ],
    );
    await h.gc.reconcile('gc');
    assert.deepEqual(summary(h.calls), ['patch pods/on-dead/status', 'delete pods/on-dead']);
  });
});
