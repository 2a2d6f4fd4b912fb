import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeHash } from './hash.ts';
import { deployment, pod, podTemplate, replicaSet } from './fixtures.ts';
import { apiError, iso, lastStatus, NOW, queued, setup, sizes, summary } from './test-support.ts';

// The controller against seeded caches: reconcile one key, then look at the API calls.

const h1 = computeHash(podTemplate('v1'));
const h2 = computeHash(podTemplate('v2'));
const REV = 'deployment.kubernetes.io/revision';

describe('DeploymentController.reconcile', () => {
  it('creates the first ReplicaSet: hash label, selector, owner, revision 1', async () => {
    const d = deployment('web', { replicas: 3, annotations: { team: 'a' } });
    const { dc, calls, events } = setup([d]);
    await dc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      `create replicasets web-${h1}`,
      'update deployments/status web',
      'update deployments/status web',
    ]);
    const labels = { app: 'web', 'pod-template-hash': h1 };
    assert.deepEqual(calls[0]!.body, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `web-${h1}`,
        namespace: 'ns',
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        labels,
        annotations: {
          team: 'a',
          [REV]: '1',
          'deployment.kubernetes.io/desired-replicas': '3',
          'deployment.kubernetes.io/max-replicas': '4',
        },
      },
      spec: {
        replicas: 3,
        minReadySeconds: 0,
        selector: { matchLabels: labels },
        template: { ...podTemplate('v1'), metadata: { labels } },
      },
    });
    assert.deepEqual(events, [
      `Deployment/web Normal ScalingReplicaSet Scaled up replica set web-${h1} to 3`,
    ]);
    const first = calls[1]!.body;
    assert.equal(first.metadata.annotations[REV], '1');
    const at = iso(NOW);
    assert.deepEqual(first.status.conditions, [
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: at,
        lastTransitionTime: at,
        reason: 'NewReplicaSetCreated',
        message: `Created new replica set "web-${h1}"`,
      },
    ]);
    assert.deepEqual(lastStatus(calls), {
      observedGeneration: 1,
      unavailableReplicas: 3,
      conditions: [
        first.status.conditions[0],
        {
          type: 'Available',
          status: 'False',
          lastUpdateTime: at,
          lastTransitionTime: at,
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
      ],
    });
    assert.deepEqual(d.status, {}, 'the cached object is intact');
  });

  it('patches the revision onto the Deployment when a status write keeps no metadata', async () => {
    const { dc, calls } = setup([deployment('web')], [], [], { statusDropsMetadata: true });
    await dc.reconcile('ns/web');
    const patch = calls.find((c) => c.verb === 'patch')!;
    assert.equal(patch.patchType, 'merge');
    assert.deepEqual(patch.body, { metadata: { annotations: { [REV]: '1' } } });
  });

  it('reuses the ReplicaSet of an earlier template (rollback): revision 3, history 1', async () => {
    const d = deployment('web', { image: 'v1' });
    const v1 = replicaSet(d, { image: 'v1', revision: 1, replicas: 0, desired: 3, max: 4 });
    const v2 = replicaSet(d, { image: 'v2', revision: 2, replicas: 3, desired: 3, max: 4, age: 5 });
    const { dc, calls, events } = setup([d], [v1, v2]);
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), [`web-${h1}=0`, `web-${h1}=1`]);
    const reused = calls[0]!.body.metadata.annotations;
    assert.equal(reused[REV], '3');
    assert.equal(reused['deployment.kubernetes.io/revision-history'], '1');
    const status = calls.find((c) => c.subresource === 'status')!;
    assert.equal(status.body.metadata.annotations[REV], '3');
    assert.deepEqual(events, [
      `Deployment/web Normal ScalingReplicaSet Scaled up replica set web-${h1} to 1 from 0`,
    ]);
  });

  it('adopts an orphan that matches and releases its own that stopped matching', async () => {
    const d = deployment('web', { image: 'v2' });
    const orphan = replicaSet(d, { image: 'v2', owner: null, replicas: 3, desired: 3, max: 4 });
    const strayed = replicaSet(d, { image: 'v1', revision: 1 });
    strayed.metadata!.labels = { app: 'other' };
    const { dc, calls } = setup([d], [orphan, strayed], [], {
      objects: { 'deployments/web': d },
    });
    await dc.reconcile('ns/web');
    assert.deepEqual(summary(calls).slice(0, 3), [
      'get deployments web',
      `patch replicasets web-${h2}`,
      `patch replicasets web-${h1}`,
    ]);
    assert.deepEqual(calls[1]!.body, {
      metadata: {
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        uid: 'uid-rs-v2',
      },
    });
    assert.deepEqual(calls[2]!.body, {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-rs-v1' },
    });
  });

  it('counts a hash collision and creates under another name next time', async () => {
    const d = deployment('web');
    const squatter = replicaSet(d, { image: 'other', owner: null });
    squatter.metadata!.name = `web-${h1}`;
    squatter.metadata!.labels = { app: 'other' };
    const exists = apiError(409, 'AlreadyExists', `replicasets.apps "web-${h1}" already exists`);
    const { dc, calls, caches } = setup([d], [squatter], [], { failCreate: () => exists });
    await assert.rejects(dc.reconcile('ns/web'), /already exists/);
    assert.equal(lastStatus(calls).collisionCount, 1);
    caches.deployments.set({ ...d, status: { collisionCount: 1 } });
    calls.length = 0;
    await assert.rejects(dc.reconcile('ns/web'));
    assert.equal(calls[0]!.name, `web-${computeHash(podTemplate('v1'), 1)}`);
  });

  it('Recreate: old ReplicaSets to zero, then waits for their pods, then the new one', async () => {
    const d = deployment('web', { image: 'v2', strategy: { type: 'Recreate' } });
    const old = replicaSet(d, { image: 'v1', revision: 1, replicas: 3, desired: 3, max: 3 });
    const { dc, calls, events, caches } = setup([d], [old]);
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), [`web-${h1}=0`]);
    assert.deepEqual(events, [
      `Deployment/web Normal ScalingReplicaSet Scaled down replica set web-${h1} to 0 from 3`,
    ]);

    const down = replicaSet(d, { image: 'v1', revision: 1, replicas: 0, desired: 3, max: 3 });
    caches.replicaSets.set(down);
    caches.pods.set(pod('old-1', down, 'Running'));
    caches.pods.set(pod('old-2', down, 'Succeeded'));
    calls.length = 0;
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), [], 'a pod of the old ReplicaSet is still running');

    caches.pods.remove(pod('old-1', down));
    calls.length = 0;
    events.length = 0;
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), [`web-${h2}=3`]);
    assert.deepEqual(events, [
      `Deployment/web Normal ScalingReplicaSet Scaled up replica set web-${h2} to 3`,
    ]);
  });

  it('paused: no new ReplicaSet, and Progressing says so', async () => {
    const d = deployment('web', { image: 'v2', paused: true });
    const old = replicaSet(d, { image: 'v1', revision: 1, replicas: 3, desired: 3, max: 4 });
    const { dc, calls } = setup([d], [old]);
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), []);
    const progressing = calls[0]!.body.status.conditions[0];
    assert.deepEqual(
      [progressing.status, progressing.reason, progressing.message],
      ['Unknown', 'DeploymentPaused', 'Deployment is paused'],
    );
    const resumed = deployment('web', { image: 'v2', status: { conditions: [progressing] } });
    const again = setup([resumed], [old]);
    await again.dc.reconcile('ns/web');
    const c = again.calls[0]!.body.status.conditions[0];
    assert.deepEqual([c.status, c.reason], ['Unknown', 'DeploymentResumed']);
    assert.deepEqual(sizes(again.calls), [`web-${h2}=1`], 'the rollout goes on');
  });

  for (const [replicas, want] of [
    [15, [`web-${h1}=12`, `web-${h2}=7`]],
    [5, [`web-${h1}=4`, `web-${h2}=3`]],
  ] as const) {
    it(`scales proportionally mid-rollout when replicas go from 10 to ${replicas}`, async () => {
      const d = deployment('web', { image: 'v2', replicas, status: { replicas: 13 } });
      const rss = [
        replicaSet(d, { image: 'v1', revision: 1, replicas: 8, desired: 10, max: 13 }),
        replicaSet(d, { image: 'v2', revision: 2, replicas: 5, desired: 10, max: 13, age: 1 }),
      ];
      const { dc, calls, events } = setup([d], rss);
      await dc.reconcile('ns/web');
      assert.deepEqual(sizes(calls), want);
      const max = String(replicas + Math.ceil(replicas / 4));
      for (const c of calls.filter((x) => x.resource === 'replicasets')) {
        assert.equal(
          c.body.metadata.annotations['deployment.kubernetes.io/desired-replicas'],
          `${replicas}`,
        );
        assert.equal(c.body.metadata.annotations['deployment.kubernetes.io/max-replicas'], max);
      }
      const op = replicas > 10 ? 'up' : 'down';
      assert.match(
        events[0]!,
        new RegExp(`Scaled ${op} replica set web-${h1} to ${want[0]!.split('=')[1]} from 8$`),
      );
    });
  }

  it('scales a paused Deployment, and a single active ReplicaSet takes it all', async () => {
    const d = deployment('web', { replicas: 5, paused: true });
    const rs = replicaSet(d, { revision: 1, replicas: 3, desired: 3, max: 4 });
    const { dc, calls } = setup([d], [rs]);
    await dc.reconcile('ns/web');
    assert.deepEqual(sizes(calls), [`web-${h1}=5`]);
  });

  it('keeps revisionHistoryLimit old ReplicaSets, deleting the oldest empty ones', async () => {
    const status = { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 };
    const d = deployment('web', { image: 'v4', revisionHistoryLimit: 1, status });
    const rss = [
      replicaSet(d, { image: 'v1', revision: 1 }),
      replicaSet(d, { image: 'v2', revision: 2, actual: 1 }),
      replicaSet(d, { image: 'v3', revision: 3 }),
      replicaSet(d, { image: 'v4', revision: 4, replicas: 3, desired: 3, max: 4 }),
    ];
    const { dc, calls } = setup([d], rss);
    await dc.reconcile('ns/web');
    const deletes = summary(calls).filter((c) => c.startsWith('delete'));
    assert.deepEqual(deletes, [`delete replicasets web-${h1}`], 'v2 still has a pod');
  });

  it('warns about a selector that selects everything', async () => {
    const d = deployment('web', { selector: {}, generation: 2 });
    const { dc, calls, events } = setup([d]);
    await dc.reconcile('ns/web');
    assert.deepEqual(events, [
      'Deployment/web Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required.',
    ]);
    assert.deepEqual(lastStatus(calls), { observedGeneration: 2 });
  });

  it('looks again shortly, without a failure, after losing a write to a newer object', async () => {
    const conflict = apiError(409, 'Conflict', 'the object has been modified');
    const { dc } = setup([deployment('web')], [], [], { failUpdate: () => conflict });
    assert.deepEqual(await dc.reconcile('ns/web'), { requeueAfterMs: 1000 });
  });

  it('does nothing for a Deployment no longer in the cache', async () => {
    const { dc, calls } = setup([]);
    await dc.reconcile('ns/gone');
    assert.deepEqual(calls, []);
  });
});

describe('DeploymentController event handlers', () => {
  it('enqueue the owner of a ReplicaSet, or every Deployment selecting an orphan', async () => {
    const d = deployment('web');
    const other = deployment('api', { selector: { matchLabels: { app: 'api' } } });
    const { dc, queue } = setup([d, other]);
    dc.addReplicaSet(replicaSet(d));
    assert.deepEqual(await queued(queue), ['ns/web']);
    dc.addReplicaSet(replicaSet(d, { owner: null }));
    assert.deepEqual(await queued(queue), ['ns/web']);
    const rs = replicaSet(d);
    dc.updateReplicaSet(rs, rs);
    assert.deepEqual(await queued(queue), [], 'same resourceVersion: a resync');
    dc.deleteReplicaSet(rs);
    assert.deepEqual(await queued(queue), ['ns/web']);
  });

  it('wake a Recreate Deployment when the last old pod is gone', async () => {
    const d = deployment('web', { strategy: { type: 'Recreate' } });
    const rs = replicaSet(d);
    const left = pod('p2', rs);
    const { dc, queue, caches } = setup([d], [rs], [left]);
    dc.deletePod(pod('p1', rs));
    assert.deepEqual(await queued(queue), [], 'a pod is left');
    caches.pods.remove(left);
    dc.deletePod(left);
    assert.deepEqual(await queued(queue), ['ns/web']);
  });
});
