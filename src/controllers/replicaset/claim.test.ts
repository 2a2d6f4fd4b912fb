import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import {
  pod,
  replicaSet,
  replicationController,
  setup,
  statusOf,
  summary,
} from './test-support.ts';

// Claiming pods through reconcile: adoption of orphans, release of pods that stopped
// matching, and the pods left alone.

describe('ReplicaSetController claims pods', () => {
  const leftAlone: [string, KubeObject][] = [
    ['being deleted', pod('p', { deleting: true })],
    ['not matching', pod('p', { labels: { app: 'db' } })],
    ['controlled by another owner', pod('p', { owner: replicaSet('other') })],
    ['Succeeded', pod('p', { phase: 'Succeeded' })],
    ['Failed', pod('p', { phase: 'Failed' })],
  ];
  for (const [what, p] of leftAlone) {
    it(`neither claims nor counts a pod ${what}`, async () => {
      const { rsc, calls } = setup([replicaSet('web', { replicas: 1 })], [p]);
      await rsc.reconcile('ns/web');
      assert.deepEqual(summary(calls), ['create pods web-', 'update replicasets/status web']);
    });
  }

  it('adopts a matching orphan after reading the owner afresh', async () => {
    const rs = replicaSet('web', { replicas: 1 });
    const script = { objects: { 'replicasets/web': rs } };
    const { rsc, calls } = setup([rs], [pod('orphan', { labels: { app: 'web' } })], { script });
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'get replicasets web',
      'patch pods orphan',
      'update replicasets/status web',
    ]);
    assert.equal(calls[1]!.patchType, 'strategic');
    assert.deepEqual(calls[1]!.body, {
      metadata: {
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
        uid: 'uid-orphan',
      },
    });
    assert.deepEqual(statusOf(calls[2]), { replicas: 1, observedGeneration: 1 });
  });

  it('adopts nothing when the fresh read shows the owner being deleted', async () => {
    const rs = replicaSet('web', { replicas: 1 });
    const script = { objects: { 'replicasets/web': replicaSet('web', { deleting: true }) } };
    const orphans = [pod('o1'), pod('o2')];
    const { rsc, calls } = setup([rs], orphans, { script });
    await assert.rejects(rsc.reconcile('ns/web'), /can't adopt Pod ns\/o1 .*has just been deleted/);
    assert.deepEqual(summary(calls), ['get replicasets web'], 'one read for all adoptions');
  });

  it('releases an owned pod that stopped matching, and replaces it', async () => {
    const rs = replicaSet('web', { replicas: 1 });
    const relabelled = pod('p', { owner: rs, labels: { app: 'debug' } });
    const { rsc, calls } = setup([rs], [relabelled]);
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'patch pods p',
      'create pods web-',
      'update replicasets/status web',
    ]);
    assert.deepEqual(calls[0]!.body, {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-p' },
    });
  });

  it('neither adopts, releases nor manages pods while the owner is being deleted', async () => {
    const rs = replicaSet('web', { replicas: 3, deleting: true });
    const pods = [pod('orphan'), pod('mine', { owner: rs, labels: { app: 'x' } })];
    const { rsc, calls } = setup([rs], pods);
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), ['update replicasets/status web'], 'status only');
  });

  it('selects by matchExpressions', async () => {
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    const rs = replicaSet('web', { replicas: 2, selector });
    const pods = [
      pod('edge', { owner: rs, labels: { app: 'web', tier: 'edge' } }),
      pod('back', { owner: rs, labels: { app: 'web', tier: 'back' } }),
      pod('canary', { owner: rs, labels: { app: 'web', tier: 'front', canary: 'y' } }),
    ];
    const { rsc, calls } = setup([rs], pods);
    await rsc.reconcile('ns/web');
    assert.deepEqual(summary(calls), [
      'patch pods back',
      'patch pods canary',
      'create pods web-',
      'update replicasets/status web',
    ]);
  });

  it('serves ReplicationControllers with their map selector', async () => {
    const rc = replicationController('nginx', { replicas: 2 });
    const { rsc, calls, events } = setup(
      [rc],
      [pod('orphan', { labels: { app: 'web', extra: '1' } })],
      {
        kind: 'ReplicationController',
        script: { objects: { 'replicationcontrollers/nginx': rc } },
      },
    );
    await rsc.reconcile('ns/nginx');
    assert.deepEqual(summary(calls), [
      'get replicationcontrollers nginx',
      'patch pods orphan',
      'create pods nginx-',
      'update replicationcontrollers/status nginx',
    ]);
    const ref = (calls[2]!.body as KubeObject).metadata?.ownerReferences?.[0];
    assert.deepEqual(
      [ref?.apiVersion, ref?.kind, ref?.name],
      ['v1', 'ReplicationController', 'nginx'],
    );
    assert.deepEqual(events, [
      'ReplicationController/nginx Normal SuccessfulCreate Created pod: nginx-1',
    ]);
  });
});
