import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import {
  daemonSet,
  iso,
  lastStatus,
  node,
  NOW,
  pod,
  queued,
  revisionFor,
  setup,
} from './test-support.ts';

// Informer events only enqueue DaemonSet keys, and only those the change concerns; and
// the status a sync writes.

const edge = daemonSet('edge', { nodeSelector: { role: 'edge' } });
const any = daemonSet('any');

function bumped(obj: KubeObject, change: (o: KubeObject) => void): KubeObject {
  const copy = structuredClone(obj);
  copy.metadata!.resourceVersion = String(Number(copy.metadata?.resourceVersion ?? 0) + 1);
  change(copy);
  return copy;
}

describe('event handlers', () => {
  it('wakes the DaemonSets a node concerns when it comes or changes placement', async () => {
    const { dsc, queue } = setup({ daemonSets: [edge, any] });
    const n = node('n1');
    dsc.addNode(n);
    assert.deepEqual(await queued(queue), ['ns/any']);

    const heartbeat = bumped(
      n,
      (o) =>
        (o.status = {
          conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: iso(NOW) }],
        }),
    );
    dsc.updateNode(n, heartbeat);
    assert.deepEqual(await queued(queue), [], 'a heartbeat changes nothing');

    const labelled = bumped(n, (o) => (o.metadata!.labels = { role: 'edge' }));
    dsc.updateNode(n, labelled);
    assert.deepEqual(await queued(queue), ['ns/edge']);

    const tainted = bumped(
      labelled,
      (o) => (o.spec = { taints: [{ key: 'k', effect: 'NoExecute' }] }),
    );
    dsc.updateNode(labelled, tainted);
    assert.deepEqual((await queued(queue)).sort(), ['ns/any', 'ns/edge']);

    dsc.deleteNode(labelled);
    assert.deepEqual((await queued(queue)).sort(), ['ns/any', 'ns/edge'], 'a node gone');
  });

  it('observes creations and deletions of its pods, and offers orphans to selecting DaemonSets', async () => {
    const { dsc, queue, calls, caches } = setup({
      daemonSets: [any],
      nodes: [node('n1'), node('n2')],
      revisions: [revisionFor(any)],
    });
    await dsc.reconcile('ns/any');
    assert.equal(calls.filter((c) => c.verb === 'create').length, 2);
    for (const name of ['a', 'b']) {
      const p = pod(name, any, { node: name === 'a' ? 'n1' : 'n2' });
      caches.pods.set(p);
      dsc.addPod(p);
    }
    assert.deepEqual(await queued(queue), ['ns/any']);
    calls.length = 0;
    await dsc.reconcile('ns/any');
    assert.deepEqual(
      calls.map((c) => c.verb),
      ['update'],
      'both creations observed: in sync, only status',
    );

    const orphan = pod('o', any, { node: 'n1', orphan: true });
    dsc.addPod(orphan);
    assert.deepEqual(await queued(queue), ['ns/any']);
    const stranger = pod('s', any, { node: 'n1', orphan: true, labels: { app: 'other' } });
    dsc.addPod(stranger);
    assert.deepEqual(await queued(queue), []);
  });

  it('ignores its own new revisions but wakes on an orphan or a changed one', async () => {
    const { dsc, queue } = setup({ daemonSets: [any] });
    const cr = revisionFor(any);
    dsc.addHistory(cr);
    assert.deepEqual(await queued(queue), []);
    const orphan = structuredClone(cr);
    delete orphan.metadata!.ownerReferences;
    dsc.addHistory(orphan);
    assert.deepEqual(await queued(queue), ['ns/any']);
    dsc.updateHistory(
      cr,
      bumped(cr, () => {}),
    );
    assert.deepEqual(await queued(queue), ['ns/any']);
    dsc.deleteHistory(cr);
    assert.deepEqual(await queued(queue), ['ns/any']);
  });
});

describe('status', () => {
  it('counts ready, available and updated pods by the oldest pod of each node', async () => {
    const slow = daemonSet('slow', { minReadySeconds: 30 });
    const pods = [
      pod('a', slow, { node: 'n1', readySince: NOW - 60_000 }),
      pod('b', slow, { node: 'n2', readySince: NOW - 5_000 }),
      pod('c', slow, { node: 'n3', hash: 'old' }),
    ];
    const { dsc, calls } = setup({
      daemonSets: [slow],
      nodes: [node('n1'), node('n2'), node('n3')],
      pods,
      revisions: [revisionFor(slow)],
    });
    assert.deepEqual(await dsc.reconcile('ns/slow'), { requeueAfterMs: 30_000 });
    assert.deepEqual(lastStatus(calls), {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 2,
      observedGeneration: 1,
      updatedNumberScheduled: 2,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  it('writes nothing when the status already says it all', async () => {
    const status = {
      currentNumberScheduled: 1,
      numberMisscheduled: 0,
      desiredNumberScheduled: 1,
      numberReady: 1,
      observedGeneration: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
    };
    const steady = daemonSet('steady', { status });
    const { dsc, calls } = setup({
      daemonSets: [steady],
      nodes: [node('n1')],
      pods: [pod('a', steady, { node: 'n1', readySince: NOW - 60_000 })],
      revisions: [revisionFor(steady)],
    });
    await dsc.reconcile('ns/steady');
    assert.deepEqual(calls, []);
  });
});
