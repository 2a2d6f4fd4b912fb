import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock } from '../../client/index.ts';
import { minTolerationSeconds, TaintEvictionController } from './taint-eviction.ts';
import {
  node,
  pod,
  recordingClient,
  recordingEvents,
  seededStore,
  silent,
  summary,
  T0,
} from './test-support.ts';

// The taint eviction controller against seeded caches: reconcile a node or a pod, then
// look at the API calls and events. A pending deletion is a pod item that answers
// requeueAfterMs; the test moves the clock and reconciles it again.

const unreachable = (since = T0) => ({
  key: 'node.kubernetes.io/unreachable',
  effect: 'NoExecute',
  timeAdded: rfc3339(since),
});
const tolerate = (seconds?: number) => ({
  key: 'node.kubernetes.io/unreachable',
  operator: 'Exists',
  effect: 'NoExecute',
  ...(seconds === undefined ? {} : { tolerationSeconds: seconds }),
});

function harness(nodes: KubeObject[], pods: KubeObject[]) {
  const objects: Record<string, KubeObject> = {};
  for (const p of pods) objects[`pods/${p.metadata!.name}`] = p;
  const nodeCache = seededStore(nodes);
  const podCache = seededStore(pods.map((p) => structuredClone(p)));
  const { client, calls } = recordingClient(objects);
  const { recorder, events } = recordingEvents();
  const clock = new FakeClock(T0);
  const controller = new TaintEvictionController(
    client,
    undefined,
    { nodes: nodeCache.store, pods: podCache.store },
    silent,
    { clock, recorder },
  );
  return { controller, calls, events, clock, objects, nodeCache, podCache };
}

describe('TaintEvictionController', () => {
  it('deletes at once a pod that does not tolerate the taint, marking it first', async () => {
    const h = harness(
      [node('n', { taints: [unreachable()] })],
      [pod('p', 'n', { tolerations: [] })],
    );
    assert.equal(await h.controller.reconcile('pod:ns/p'), undefined);
    assert.deepEqual(summary(h.calls), ['get pods/p', 'patch pods/p/status', 'delete pods/p']);
    assert.deepEqual(h.calls[1]!.body, {
      metadata: { uid: 'uid-p' },
      status: {
        conditions: [
          {
            type: 'DisruptionTarget',
            status: 'True',
            reason: 'DeletionByTaintManager',
            message: 'Taint manager: deleting due to NoExecute taint',
            lastProbeTime: null,
            lastTransitionTime: rfc3339(T0),
          },
        ],
      },
    });
    assert.equal(h.calls[2]!.options, undefined, 'an ordinary, graceful delete');
    assert.deepEqual(h.events, [
      'Pod/ns/p Normal TaintManagerEviction Marking for deletion Pod ns/p',
    ]);
  });

  it('deletes a pod when its tolerationSeconds, counted from timeAdded, have passed', async () => {
    const h = harness(
      [node('n', { taints: [unreachable(T0 - 100_000)] })],
      [pod('p', 'n', { tolerations: [tolerate(300)] })],
    );
    await h.controller.reconcile('node:n');
    assert.deepEqual(await h.controller.reconcile('pod:ns/p'), { requeueAfterMs: 200_000 });
    h.clock.advance(199_000);
    assert.deepEqual(await h.controller.reconcile('pod:ns/p'), { requeueAfterMs: 1_000 });
    assert.deepEqual(summary(h.calls), []);
    h.clock.advance(1_000);
    await h.controller.reconcile('pod:ns/p');
    assert.deepEqual(summary(h.calls), ['get pods/p', 'patch pods/p/status', 'delete pods/p']);
    // Done once: the pod, still there while it terminates, is not deleted again.
    h.calls.length = 0;
    h.clock.advance(60_000);
    await h.controller.reconcile('node:n');
    await h.controller.reconcile('pod:ns/p');
    assert.deepEqual(summary(h.calls), []);
  });

  it('takes the shortest toleration when several taints apply', async () => {
    const notReady = {
      key: 'node.kubernetes.io/not-ready',
      effect: 'NoExecute',
      timeAdded: rfc3339(T0),
    };
    const h = harness(
      [node('n', { taints: [unreachable(), notReady] })],
      [
        pod('p', 'n', {
          tolerations: [
            tolerate(300),
            {
              key: 'node.kubernetes.io/not-ready',
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: 60,
            },
          ],
        }),
      ],
    );
    assert.deepEqual(await h.controller.reconcile('pod:ns/p'), { requeueAfterMs: 60_000 });
  });

  it('leaves pods that tolerate the taint forever, and pods on untainted nodes', async () => {
    const h = harness(
      [node('n', { taints: [unreachable()] }), node('m')],
      [
        pod('forever', 'n', { tolerations: [tolerate()] }),
        pod('everything', 'n', { tolerations: [{ operator: 'Exists' }] }),
        pod('elsewhere', 'm', { tolerations: [] }),
        pod('pending', undefined, { tolerations: [] }),
      ],
    );
    await h.controller.reconcile('node:n');
    await h.controller.reconcile('node:m');
    for (const p of ['forever', 'everything', 'elsewhere', 'pending']) {
      assert.equal(await h.controller.reconcile(`pod:ns/${p}`), undefined);
    }
    h.clock.advance(3_600_000);
    for (const p of ['forever', 'everything', 'elsewhere'])
      await h.controller.reconcile(`pod:ns/${p}`);
    assert.deepEqual(summary(h.calls), []);
    assert.deepEqual(h.events, []);
  });

  it('cancels a pending deletion when the taint goes away', async () => {
    const tainted = node('n', { taints: [unreachable()] });
    const h = harness([tainted], [pod('p', 'n', { tolerations: [tolerate(300)] })]);
    await h.controller.reconcile('node:n');
    h.clock.advance(100_000);
    h.nodeCache.set(node('n'));
    await h.controller.reconcile('node:n');
    assert.deepEqual(h.events, [
      'Pod/ns/p Normal TaintManagerEviction Cancelling deletion of Pod ns/p',
    ]);
    h.clock.advance(200_000);
    assert.equal(await h.controller.reconcile('pod:ns/p'), undefined);
    assert.deepEqual(summary(h.calls), []);
  });

  it('deletes at once when a pod is changed so it no longer tolerates the taint', async () => {
    const h = harness(
      [node('n', { taints: [unreachable()] })],
      [pod('p', 'n', { tolerations: [tolerate(300)] })],
    );
    await h.controller.reconcile('pod:ns/p');
    h.clock.advance(10_000);
    h.podCache.set(pod('p', 'n', { tolerations: [tolerate(5)] }));
    // A pending deletion keeps its time, as in Kubernetes; a toleration that stops
    // matching deletes the pod at once.
    assert.deepEqual(await h.controller.reconcile('pod:ns/p'), { requeueAfterMs: 290_000 });
    h.podCache.set(pod('p', 'n', { tolerations: [] }));
    await h.controller.reconcile('pod:ns/p');
    assert.deepEqual(summary(h.calls), ['get pods/p', 'patch pods/p/status', 'delete pods/p']);
    assert.deepEqual(h.events, [
      'Pod/ns/p Normal TaintManagerEviction Cancelling deletion of Pod ns/p',
      'Pod/ns/p Normal TaintManagerEviction Marking for deletion Pod ns/p',
    ]);
  });

  it('forgets a pod that is gone', async () => {
    const h = harness(
      [node('n', { taints: [unreachable()] })],
      [pod('p', 'n', { tolerations: [tolerate(300)] })],
    );
    await h.controller.reconcile('pod:ns/p');
    h.podCache.remove('ns/p');
    await h.controller.reconcile('pod:ns/p');
    assert.deepEqual(h.events, [
      'Pod/ns/p Normal TaintManagerEviction Cancelling deletion of Pod ns/p',
    ]);
  });
});

describe('minTolerationSeconds', () => {
  const cases: [string, { tolerationSeconds?: number | null }[], number][] = [
    ['no toleration used', [], 0],
    ['forever', [{}, { tolerationSeconds: null }], -1],
    ['the shortest', [{ tolerationSeconds: 300 }, {}, { tolerationSeconds: 20 }], 20],
    ['zero or less means now', [{ tolerationSeconds: 300 }, { tolerationSeconds: -5 }], 0],
  ];
  for (const [name, tolerations, want] of cases) {
    it(name, () => assert.equal(minTolerationSeconds(tolerations), want));
  }
});
