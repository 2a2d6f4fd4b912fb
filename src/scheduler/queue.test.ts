import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../api/index.ts';
import { SchedulingQueue } from './queue.ts';

const pod = (name: string, priority = 0, created = '2026-01-01T00:00:00Z'): KubeObject => ({
  metadata: { name, namespace: 'default', uid: name, creationTimestamp: created },
  spec: { priority },
});

const take = async (q: SchedulingQueue) => (await q.pop())!;

// The queue's own timer does not keep a process alive (a server does); these tests must.
let keepAlive: NodeJS.Timeout;
before(() => (keepAlive = setInterval(() => {}, 1000)));
after(() => clearInterval(keepAlive));

describe('scheduling queue', () => {
  it('hands out higher priority first, then older pods first', async () => {
    const q = new SchedulingQueue((p) => (p.spec as { priority: number }).priority);
    q.add('default/late', pod('late', 0, '2026-01-01T00:00:09Z'));
    q.add('default/early', pod('early', 0, '2026-01-01T00:00:01Z'));
    q.add('default/urgent', pod('urgent', 100, '2026-01-01T00:00:20Z'));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await take(q)).key);
    assert.deepEqual(order, ['default/urgent', 'default/early', 'default/late']);
    q.close();
  });

  it('keeps an unschedulable pod until the cluster changes', async () => {
    const q = new SchedulingQueue(() => 0);
    q.add('default/a', pod('a'));
    const qp = await take(q);
    q.requeueAfterFailure(qp, true);
    assert.equal(q.pending, 1);
    let popped = false;
    const next = q.pop().then((x) => ((popped = true), x));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(popped, false, 'not retried without an event');
    // A status-only update does not count as a change; a cluster event does (after back-off).
    q.add('default/a', pod('a'), false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(popped, false);
    q.moveAllToActiveOrBackoff();
    const again = await next;
    assert.equal(again?.key, 'default/a');
    assert.equal(again?.attempts, 2);
    q.close();
  });

  it('sends a pod to back-off instead when the cluster changed while it was being scheduled', async () => {
    const q = new SchedulingQueue(() => 0);
    q.add('default/b', pod('b'));
    const qp = await take(q);
    q.moveAllToActiveOrBackoff();
    q.requeueAfterFailure(qp, true);
    const again = await q.pop();
    assert.equal(again?.key, 'default/b', 'retried after its back-off without another event');
    q.close();
  });

  it('forgets deleted pods and releases waiters on close', async () => {
    const q = new SchedulingQueue(() => 0);
    q.add('default/c', pod('c'));
    q.delete('default/c');
    assert.equal(q.pending, 0);
    const waiting = q.pop();
    q.close();
    assert.equal(await waiting, undefined);
  });
});
