import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { EXPECTATIONS_TIMEOUT_MS } from '../expectations/index.ts';
import {
  apiError,
  creates,
  NOW,
  pod,
  replicaSet,
  setup,
  statusOf,
  summary,
} from './test-support.ts';

// The controller against seeded caches: reconcile one key, then look at the API calls.

describe('ReplicaSetController.reconcile', () => {
  it('creates the missing pods from the template, with a controller reference', async () => {
    const rs = replicaSet('web', { replicas: 3 });
    const { rsc, calls, events } = setup([rs], []);
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'create pods web-',
      'create pods web-',
      'create pods web-',
      'update replicasets/status web',
    ]);
    assert.deepEqual(calls[0]!.body, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'web-',
        labels: { app: 'web', tier: 'front' },
        annotations: { note: 'from-template' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '9'] }] },
    });
    assert.deepEqual(events, [
      'ReplicaSet/web Normal SuccessfulCreate Created pod: web-1',
      'ReplicaSet/web Normal SuccessfulCreate Created pod: web-2',
      'ReplicaSet/web Normal SuccessfulCreate Created pod: web-3',
    ]);
    assert.deepEqual(statusOf(calls[3]), { replicas: 0, observedGeneration: 1 });
    assert.equal((rs.status as { replicas: number }).replicas, 0, 'the cached object is intact');
  });

  it('does not create again until the creations are observed, or expire', async () => {
    const rs = replicaSet('web', { replicas: 2 });
    const { rsc, calls, caches, clock } = setup([rs], []);
    await rsc.reconcile('ns/web');
    assert.equal(creates(calls).length, 2);
    calls.length = 0;
    const again = await rsc.reconcile('ns/web');
    assert.deepEqual(creates(calls), [], 'a stale cache does not double the pods');
    assert.deepEqual(again, { requeueAfterMs: EXPECTATIONS_TIMEOUT_MS + 1 });

    const first = pod('web-1', { owner: rs });
    caches.pods.set(first);
    rsc.addPod(first);
    await rsc.reconcile('ns/web');
    assert.deepEqual(creates(calls), [], 'one creation still in flight');

    clock.advance(EXPECTATIONS_TIMEOUT_MS + 1);
    await rsc.reconcile('ns/web');
    assert.equal(creates(calls).length, 1, 'the lost creation is made again after expiry');
  });

  it('acts again once every creation is observed', async () => {
    const rs = replicaSet('web', { replicas: 2 });
    const { rsc, calls, caches } = setup([rs], []);
    await rsc.reconcile('ns/web');
    for (const name of ['web-1', 'web-2']) {
      const p = pod(name, { owner: rs });
      caches.pods.set(p);
      rsc.addPod(p);
    }
    const gone = caches.pods.get('ns/web-1')!;
    caches.pods.remove(gone);
    calls.length = 0;
    await rsc.reconcile('ns/web');
    assert.equal(creates(calls).length, 1, 'a replacement for the pod that went away');
  });

  it('creates in slow-start batches and stops at the first failing one', async () => {
    const quota = apiError(
      403,
      'Forbidden',
      'pods "web-" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    const script = { failCreate: (n: number) => (n >= 3 ? quota : undefined) };
    const { rsc, calls, events, caches } = setup([replicaSet('web', { replicas: 10 })], [], {
      script,
    });
    await assert.rejects(rsc.reconcile('ns/web'), /exceeded quota/);
    assert.equal(creates(calls).length, 3, 'batches of 1 and 2, then no more');
    assert.deepEqual(events.slice(2), [
      `ReplicaSet/web Warning FailedCreate Error creating: ${quota.message}`,
    ]);
    const status = statusOf(calls.at(-1)) as { conditions: object[] };
    assert.deepEqual(status.conditions, [
      {
        type: 'ReplicaFailure',
        status: 'True',
        lastTransitionTime: '2025-01-01T12:00:00Z',
        reason: 'FailedCreate',
        message: quota.message,
      },
    ]);
    // The two pods that were created are all that is expected now.
    for (const name of ['web-1', 'web-2']) {
      const p = pod(name, { owner: caches.owners.get('ns/web') });
      caches.pods.set(p);
      rsc.addPod(p);
    }
    calls.length = 0;
    await assert.rejects(rsc.reconcile('ns/web'));
    assert.equal(creates(calls).length, 1, 'tries again at once');
  });

  it('creates no more than burstReplicas in one sync', async () => {
    const { rsc, calls } = setup([replicaSet('web', { replicas: 50 })], [], { burstReplicas: 7 });
    await rsc.reconcile('ns/web');
    assert.equal(creates(calls).length, 7);
  });

  it('ignores creations refused because the namespace is terminating', async () => {
    const terminating = apiError(403, 'Forbidden', 'namespace ns is being terminated', [
      { reason: 'NamespaceTerminating' },
    ]);
    const script = { failCreate: () => terminating };
    const { rsc, events } = setup([replicaSet('web', { replicas: 2 })], [], { script });
    await rsc.reconcile('ns/web');
    assert.deepEqual(events, []);
  });

  it('deletes the surplus in deletion order, once', async () => {
    const rs = replicaSet('web', { replicas: 2 });
    const pods = [
      pod('old-ready', { owner: rs, readySince: NOW - 7_200_000 }),
      pod('pending', { owner: rs, phase: 'Pending' }),
      pod('new-ready', { owner: rs, readySince: NOW - 60_000 }),
      pod('not-ready', { owner: rs }),
    ];
    const { rsc, calls, events, caches } = setup([rs], pods);
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'delete pods pending',
      'delete pods not-ready',
      'update replicasets/status web',
    ]);
    assert.deepEqual(events, [
      'ReplicaSet/web Normal SuccessfulDelete Deleted pod: pending',
      'ReplicaSet/web Normal SuccessfulDelete Deleted pod: not-ready',
    ]);
    calls.length = 0;
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), ['update replicasets/status web'], 'deletions in flight');

    // The first shows up terminating, the second gone: then the next surplus pod goes.
    const terminating = { ...pods[1]!, metadata: { ...pods[1]!.metadata, resourceVersion: '6' } };
    terminating.metadata.deletionTimestamp = '2025-01-01T12:00:00Z';
    caches.pods.set(terminating);
    rsc.updatePod(pods[1]!, terminating);
    caches.pods.remove(pods[3]!);
    rsc.deletePod(pods[3]!);
    caches.pods.set(pod('another', { owner: rs }));
    calls.length = 0;
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls).slice(0, 1), ['delete pods another']);
  });

  it('counts a pod already gone as deleted and fails on other deletion errors', async () => {
    const rs = replicaSet('web', { replicas: 0 });
    const script = {
      failDelete: (name: string) =>
        name === 'a'
          ? apiError(404, 'NotFound', 'pods "a" not found')
          : apiError(500, 'InternalError', 'disk full'),
    };
    const { rsc, events } = setup([rs], [pod('a', { owner: rs }), pod('b', { owner: rs })], {
      script,
    });
    await assert.rejects(rsc.reconcile('ns/web'), /unable to delete pods: disk full/);
    assert.deepEqual(events, ['ReplicaSet/web Warning FailedDelete Error deleting: disk full']);
  });

  it('writes no status when nothing changed', async () => {
    const rs = replicaSet('web', {
      replicas: 1,
      status: { replicas: 1, fullyLabeledReplicas: 1, observedGeneration: 1 },
    });
    const { rsc, calls } = setup([rs], [pod('a', { owner: rs })]);
    await rsc.reconcile('ns/web');
    assert.deepEqual(calls, []);
  });

  it('retries a failed status write once on a fresh read', async () => {
    const rs = replicaSet('web', { replicas: 1 });
    const fresh = { ...replicaSet('web'), metadata: { ...rs.metadata, resourceVersion: '11' } };
    const conflict = apiError(409, 'Conflict', 'the object has been modified');
    const script = {
      objects: { 'replicasets/web': fresh },
      failUpdate: (n: number) => (n === 1 ? conflict : undefined),
    };
    const { rsc, calls } = setup([rs], [pod('a', { owner: rs })], { script });
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'update replicasets/status web',
      'get replicasets web',
      'update replicasets/status web',
    ]);
    assert.equal((calls[2]!.body as KubeObject).metadata?.resourceVersion, '11');
  });

  it('looks again after minReadySeconds while ready pods are not yet available', async () => {
    const rs = replicaSet('web', { replicas: 2, minReadySeconds: 30 });
    const pods = [
      pod('a', { owner: rs, readySince: NOW - 60_000 }),
      pod('b', { owner: rs, readySince: NOW - 5_000 }),
    ];
    const { rsc, calls } = setup([rs], pods);
    assert.deepEqual(await rsc.reconcile('ns/web'), { requeueAfterMs: 30_000 });
    assert.deepEqual(statusOf(calls[0]), {
      replicas: 2,
      fullyLabeledReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 1,
    });
  });

  it('forgets the expectations of an owner that is gone', async () => {
    const { rsc, calls } = setup([], []);
    assert.equal(await rsc.reconcile('ns/web'), undefined);
    assert.deepEqual(calls, []);
  });

  it('ranks pods by the pods of sibling ReplicaSets on their node', async () => {
    const controller = { kind: 'Deployment', name: 'd', uid: 'uid-d' };
    const rs = replicaSet('new', { replicas: 1, controller, labels: { app: 'web', v: '2' } });
    const old = replicaSet('old', {
      controller,
      selector: { matchLabels: { app: 'web', v: '1' } },
    });
    const v2 = { app: 'web', v: '2' };
    const pods = [
      pod('lonely', { owner: rs, labels: v2, node: 'n1', readySince: NOW - 1000 }),
      pod('crowded', { owner: rs, labels: v2, node: 'n2', readySince: NOW - 9_000_000 }),
      pod('old-1', { owner: old, labels: { app: 'web', v: '1' }, node: 'n2' }),
    ];
    const rsNew = { ...rs, spec: { ...(rs.spec as object), selector: { matchLabels: v2 } } };
    const { rsc, calls } = setup([rsNew, old], pods);
    await rsc.reconcile('ns/new');
    assert.deepEqual(summary(calls).slice(0, 1), ['delete pods crowded']);
  });
});
