import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  creates,
  NOW,
  pod,
  queued,
  replicaSet,
  replicationController,
  setup,
} from './test-support.ts';

// Informer events, played by hand: which keys they enqueue, and the expectations they settle.

describe('ReplicaSetController event handlers', () => {
  it('enqueues the owner of a new pod and every owner that could adopt an orphan', async () => {
    const web = replicaSet('web');
    const other = replicaSet('other', { selector: { matchLabels: { tier: 'front' } } });
    const empty = replicaSet('empty', { selector: {} });
    const { rsc, queue } = setup([web, other, empty], []);
    rsc.addPod(pod('p', { owner: web }));
    assert.deepEqual(await queued(queue), ['ns/web']);
    rsc.addPod(pod('orphan'));
    assert.deepEqual(
      (await queued(queue)).sort(),
      ['ns/other', 'ns/web'],
      'an empty selector adopts none',
    );
    rsc.addPod(pod('foreign', { owner: replicationController('web') }));
    assert.deepEqual(await queued(queue), [], 'another kind, though the same name');
  });

  it('enqueues both owners when a pod changes hands, and adopters of a released pod', async () => {
    const web = replicaSet('web');
    const other = replicaSet('other', { selector: { matchLabels: { app: 'db' } } });
    const { rsc, queue } = setup([web, other], []);
    const owned = pod('p', { owner: web });
    const released = pod('p', { labels: { app: 'db' } });
    released.metadata!.resourceVersion = '6';
    rsc.updatePod(owned, released);
    assert.deepEqual((await queued(queue)).sort(), ['ns/other', 'ns/web']);
    rsc.updatePod(released, released);
    assert.deepEqual(await queued(queue), [], 'a resync of the same version is ignored');
  });

  it('looks again a second after minReadySeconds when a pod becomes ready', async () => {
    const web = replicaSet('web', { minReadySeconds: 10 });
    const { rsc, queue, clock } = setup([web], []);
    const ready = pod('p', { owner: web, readySince: NOW });
    ready.metadata!.resourceVersion = '6';
    rsc.updatePod(pod('p', { owner: web }), ready);
    assert.deepEqual(await queued(queue), ['ns/web']);
    clock.advance(10_999);
    assert.deepEqual(await queued(queue), []);
    clock.advance(1);
    assert.deepEqual(await queued(queue), ['ns/web']);
  });

  it('drops the expectations of a deleted or re-created owner', async () => {
    const web = replicaSet('web', { replicas: 1 });
    const { rsc, calls } = setup([web], []);
    await rsc.reconcile('ns/web');
    rsc.updateOwner(web, { ...web, metadata: { ...web.metadata, uid: 'uid-new' } });
    calls.length = 0;
    await rsc.reconcile('ns/web');
    assert.equal(creates(calls).length, 1);
  });
});
