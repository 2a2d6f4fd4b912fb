import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { EXPECTATIONS_TIMEOUT_MS } from '../expectations/index.ts';
import {
  apiError,
  createdOn,
  daemonSet,
  deleted,
  hashFor,
  lastStatus,
  node,
  NOW,
  pod,
  revisionFor,
  setup,
  summary,
} from './test-support.ts';

// The controller against seeded caches: reconcile one key, then look at the API calls.

const edge = { role: 'edge' };
const ds = daemonSet('agent', { nodeSelector: edge });
const nodes = () => [
  node('n1', { labels: edge }),
  node('n2', { labels: edge }),
  node('n3'),
  node('n4', { labels: edge, taints: [{ key: 'dedicated', effect: 'NoSchedule' }] }),
];

describe('DaemonSetController.reconcile: placement', () => {
  it('makes its first revision and one pod per node that should run it', async () => {
    const { dsc, calls, events } = setup({ daemonSets: [ds], nodes: nodes() });
    await dsc.reconcile('ns/agent');
    const hash = hashFor(ds);
    assert.deepEqual(summary(calls), [
      `create controllerrevisions agent-${hash}`,
      'create pods agent-',
      'create pods agent-',
      'update daemonsets/status agent',
    ]);
    assert.deepEqual(createdOn(calls), ['n1', 'n2']);
    const created = calls[1]!.body as KubeObject;
    assert.deepEqual(created.metadata, {
      generateName: 'agent-',
      labels: { app: 'agent', 'controller-revision-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: 'agent',
          uid: 'uid-agent',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    const spec = created.spec as { nodeName?: string; tolerations: { key: string }[] };
    assert.equal(spec.nodeName, undefined, 'the scheduler binds it');
    assert.equal(spec.tolerations.length, 6);
    assert.deepEqual(events, [
      'DaemonSet/agent Normal SuccessfulCreate Created pod: agent-2',
      'DaemonSet/agent Normal SuccessfulCreate Created pod: agent-3',
    ]);
    assert.deepEqual(lastStatus(calls), {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 0,
      numberUnavailable: 2,
      observedGeneration: 1,
    });
  });

  it('creates nothing more until its creations are observed, or expire', async () => {
    const { dsc, calls, caches, clock } = setup({
      daemonSets: [ds],
      nodes: nodes(),
      revisions: [revisionFor(ds)],
    });
    await dsc.reconcile('ns/agent');
    assert.deepEqual(createdOn(calls), ['n1', 'n2']);
    calls.length = 0;
    const again = await dsc.reconcile('ns/agent');
    assert.deepEqual(createdOn(calls), [], 'a stale cache makes no second pod');
    assert.deepEqual(summary(calls), ['update daemonsets/status agent']);
    assert.equal(
      (lastStatus(calls) as { observedGeneration?: number }).observedGeneration,
      undefined,
    );
    assert.deepEqual(again, { requeueAfterMs: EXPECTATIONS_TIMEOUT_MS + 1 });

    const first = pod('agent-1', ds, { target: 'n1' });
    caches.pods.set(first);
    dsc.addPod(first);
    clock.advance(EXPECTATIONS_TIMEOUT_MS + 1);
    calls.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(createdOn(calls), ['n2'], 'the lost creation is made again');
  });

  it('follows nodes as they come, change labels and taints, and go', async () => {
    const pods = [pod('p1', ds, { node: 'n1' }), pod('p2', ds, { node: 'n2' })];
    const { dsc, calls, caches, events } = setup({
      daemonSets: [ds],
      nodes: nodes(),
      pods,
      revisions: [revisionFor(ds)],
    });
    await dsc.reconcile('ns/agent');
    assert.deepEqual(summary(calls), ['update daemonsets/status agent'], 'in place: nothing to do');

    // A new node with the label.
    caches.nodes.set(node('n5', { labels: edge }));
    calls.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(createdOn(calls), ['n5']);
    const p5 = pod('p5', ds, { node: 'n5' });
    caches.pods.set(p5);
    dsc.addPod(p5);

    // n1 loses the label: its pod goes.
    caches.nodes.set(node('n1'));
    calls.length = 0;
    events.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['p1']);
    assert.deepEqual(events, ['DaemonSet/agent Normal SuccessfulDelete Deleted pod: p1']);
    caches.pods.remove(pods[0]!);
    dsc.deletePod(pods[0]!);

    // n2 gets a NoSchedule taint: the running pod stays, but it is misscheduled.
    caches.nodes.set(node('n2', { labels: edge, taints: [{ key: 'x', effect: 'NoSchedule' }] }));
    calls.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), []);
    assert.deepEqual(lastStatus(calls), {
      currentNumberScheduled: 1,
      numberMisscheduled: 1,
      desiredNumberScheduled: 1,
      numberReady: 0,
      updatedNumberScheduled: 1,
      numberUnavailable: 1,
      observedGeneration: 1,
    });

    // ...and a NoExecute one evicts it.
    caches.nodes.set(node('n2', { labels: edge, taints: [{ key: 'x', effect: 'NoExecute' }] }));
    calls.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['p2']);
  });

  it('deletes an unbound pod whose node is gone, and leaves bound ones to the pod GC', async () => {
    const pods = [pod('lost', ds, { target: 'gone' }), pod('bound', ds, { node: 'gone-too' })];
    const { dsc, calls } = setup({ daemonSets: [ds], pods, revisions: [revisionFor(ds)] });
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['lost']);
  });

  it('keeps the oldest of surplus pods on a node', async () => {
    const pods = [
      pod('newer', ds, { node: 'n1', created: NOW - 1000 }),
      pod('oldest', ds, { node: 'n1', created: NOW - 9000 }),
      pod('going', ds, { node: 'n1', created: NOW - 99_000, deleting: true }),
    ];
    const { dsc, calls } = setup({
      daemonSets: [ds],
      nodes: [node('n1', { labels: edge })],
      pods,
      revisions: [revisionFor(ds)],
    });
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['newer']);
  });

  it('replaces failed pods with a back-off per node, and succeeded ones at once', async () => {
    const failed = pod('failed', ds, { node: 'n1', phase: 'Failed' });
    const done = pod('done', ds, { node: 'n2', phase: 'Succeeded' });
    const { dsc, calls, events, caches, clock } = setup({
      daemonSets: [ds],
      nodes: nodes(),
      pods: [failed, done],
      revisions: [revisionFor(ds)],
    });
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['failed', 'done']);
    assert.deepEqual(events, [
      'DaemonSet/agent Warning FailedDaemonPod Found failed daemon pod ns/failed on node n1, will try to kill it',
      'DaemonSet/agent Normal SucceededDaemonPod Found succeeded daemon pod ns/done on node n2, will try to delete it',
      'DaemonSet/agent Normal SuccessfulDelete Deleted pod: failed',
      'DaemonSet/agent Normal SuccessfulDelete Deleted pod: done',
    ]);
    // The replacement fails at once too: within a second it is left alone.
    for (const p of [failed, done]) {
      caches.pods.remove(p);
      dsc.deletePod(p);
    }
    const again = pod('failed-again', ds, { node: 'n1', phase: 'Failed' });
    caches.pods.set(again);
    dsc.addPod(again);
    clock.advance(500);
    calls.length = 0;
    const result = await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), []);
    assert.deepEqual(createdOn(calls), ['n2'], 'the succeeded pod is replaced');
    assert.deepEqual(result, { requeueAfterMs: 1000 });
    const p2 = pod('p2', ds, { node: 'n2' });
    caches.pods.set(p2);
    dsc.addPod(p2);
    clock.advance(600);
    calls.length = 0;
    await dsc.reconcile('ns/agent');
    assert.deepEqual(deleted(calls), ['failed-again'], 'deleted once the back-off passed');
  });

  it('adopts matching orphans and leaves pods of other controllers alone', async () => {
    const orphan = pod('orphan', ds, { node: 'n1', orphan: true });
    const foreign = pod('foreign', ds, { node: 'n2' });
    foreign.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'uid-rs', controller: true },
    ];
    const { dsc, calls } = setup(
      { daemonSets: [ds], nodes: nodes(), pods: [orphan, foreign], revisions: [revisionFor(ds)] },
      { script: { objects: { 'daemonsets/agent': ds } } },
    );
    await dsc.reconcile('ns/agent');
    assert.deepEqual(summary(calls), [
      'get daemonsets agent',
      'patch pods orphan',
      'create pods agent-',
      'update daemonsets/status agent',
    ]);
    assert.deepEqual(createdOn(calls), ['n2']);
  });

  it('refuses a selector that selects every pod', async () => {
    const all = daemonSet('all', { selector: {} });
    const { dsc, calls, events } = setup({ daemonSets: [all], nodes: nodes() });
    await dsc.reconcile('ns/all');
    assert.deepEqual(calls, []);
    assert.deepEqual(events, [
      'DaemonSet/all Warning SelectingAll This daemon set is selecting all pods. A non-empty selector is required.',
    ]);
  });

  it('reports create failures with an event and fails the sync', async () => {
    const quota = apiError(403, 'Forbidden', 'exceeded quota');
    const { dsc, events } = setup(
      { daemonSets: [ds], nodes: nodes(), revisions: [revisionFor(ds)] },
      { script: { failCreate: () => quota } },
    );
    await assert.rejects(dsc.reconcile('ns/agent'), /exceeded quota/);
    assert.deepEqual(events, [
      'DaemonSet/agent Warning FailedCreate Error creating: exceeded quota',
    ]);
  });

  it('does nothing for a DaemonSet that is gone or being deleted', async () => {
    const deleting = daemonSet('old');
    deleting.metadata!.deletionTimestamp = '2025-01-01T00:00:00Z';
    const { dsc, calls } = setup({ daemonSets: [deleting], nodes: nodes() });
    await dsc.reconcile('ns/old');
    await dsc.reconcile('ns/missing');
    assert.deepEqual(calls, []);
  });
});
