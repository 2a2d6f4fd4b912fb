import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.ts';
import { missingCommand } from '../../../test/support/requirements.ts';
import { openStore } from '../index.ts';
import { isStoreError, MAX_VALUE_BYTES, type Backend, type WatchEvent } from '../types.ts';
import { openEtcdBackend } from './index.ts';

// What is particular to the etcd driver; the Backend contract itself is checked by the
// shared conformance suite in etcd.test.ts.

const skip = missingCommand('etcd', 'apt-get install -y etcd-server etcd-client');

async function collect(
  backend: Backend,
  prefix: string,
  afterRevision: number,
  until: (events: WatchEvent[]) => boolean,
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  for await (const batch of backend.watch(prefix, afterRevision)) {
    events.push(...batch);
    if (until(events)) break;
  }
  return events;
}

describe('etcd driver', { skip }, () => {
  let server: EtcdServer;
  let store: Backend;

  before(async () => {
    server = await startEtcd();
    store = await openStore(server.url);
  });
  after(async () => {
    await store?.close();
    await server?.stop();
  });

  it('writes with optimistic concurrency', async () => {
    const rev = await store.create('/a/x', Buffer.from('1'));
    await assert.rejects(store.create('/a/x', Buffer.from('2')), (e) =>
      isStoreError(e, 'KeyExists'),
    );
    const updated = await store.update('/a/x', Buffer.from('2'), rev);
    assert.deepEqual(
      { ...updated, value: updated.value.toString() },
      {
        key: '/a/x',
        value: '2',
        createRevision: rev,
        modRevision: rev + 1,
        version: 2,
        ttlSeconds: 0,
      },
    );
    await assert.rejects(store.update('/a/x', Buffer.from('3'), rev), (e) => {
      return isStoreError(e, 'Conflict') && e.current?.modRevision === rev + 1;
    });
    await assert.rejects(store.update('/a/none', Buffer.from('3'), 0), (e) =>
      isStoreError(e, 'NotFound'),
    );
    const deleted = await store.delete('/a/x', rev + 1);
    assert.equal(deleted.revision, rev + 2);
    assert.equal(deleted.prev.value.toString(), '2');
  });

  it('pages through values larger than a gRPC message in total', async () => {
    const big = Buffer.alloc(MAX_VALUE_BYTES, 'v');
    for (let i = 0; i < 4; i++) await store.create(`/big/${i}`, big);
    await assert.rejects(store.create('/big/x', Buffer.alloc(MAX_VALUE_BYTES + 1)), (e) =>
      isStoreError(e, 'ValueTooLarge'),
    );
    const all = await store.list('/big/');
    assert.equal(all.kvs.length, 4);
    const first = await store.list('/big/', { limit: 3 });
    assert.deepEqual([first.kvs.length, first.remaining], [3, 1]);
    await store.delete('/big/3');
    const rest = await store.list('/big/', { limit: 3, continue: first.continue });
    assert.deepEqual(
      rest.kvs.map((kv) => kv.key),
      ['/big/3'],
      'later pages read the first page revision',
    );
    assert.equal(rest.continue, undefined);
  });

  it('expires keys with a TTL as watched deletes, sharing leases', async () => {
    const start = await store.currentRevision();
    await store.create('/ttl/a', Buffer.from('a'), { ttlSeconds: 1 });
    await store.create('/ttl/long1', Buffer.from('b'), { ttlSeconds: 300 });
    await store.create('/ttl/long2', Buffer.from('b'), { ttlSeconds: 300 });
    assert.equal((await store.get('/ttl/a'))?.ttlSeconds, 1);
    const events = await collect(store, '/ttl/', start, (evs) => evs.length === 4);
    assert.deepEqual(
      events.map((ev) => [ev.type, ev.kv.key]),
      [
        ['create', '/ttl/a'],
        ['create', '/ttl/long1'],
        ['create', '/ttl/long2'],
        ['delete', '/ttl/a'],
      ],
    );
    // A second client knows nothing of the first one's leases and asks etcd.
    const other = await openEtcdBackend(server.hosts);
    try {
      const [l1, l2] = [await other.get('/ttl/long1'), await other.get('/ttl/long2')];
      assert.deepEqual([l1?.ttlSeconds, l2?.ttlSeconds], [300, 300]);
    } finally {
      await other.close();
    }
  });

  it('reports compaction, including one done by another client', async () => {
    await store.create('/c/a', Buffer.from('1'));
    const mid = await store.create('/c/b', Buffer.from('1'));
    await store.create('/c/c', Buffer.from('1'));
    const other = await openEtcdBackend(server.hosts);
    try {
      await other.compact(mid);
      await other.compact(mid - 1);
    } finally {
      await other.close();
    }
    assert.equal(await store.compactedRevision(), mid);
    await assert.rejects(store.list('/c/', { revision: mid - 1 }), (e) => {
      return isStoreError(e, 'Compacted') && e.compactedRevision === mid;
    });
    await assert.rejects(
      collect(store, '/c/', mid - 2, () => true),
      (e) => isStoreError(e, 'Compacted'),
    );
    const events = await collect(store, '/c/', mid, (evs) => evs.length === 1);
    assert.equal(events[0]?.kv.key, '/c/c');
  });

  it('ends running watches when the backend closes', async () => {
    const other = await openEtcdBackend(server.hosts);
    const rev = await other.currentRevision();
    const watching = collect(other, '/closing/', rev, () => false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await other.close();
    assert.deepEqual(await watching, []);
  });

  it('reports an unreachable etcd as Unavailable', async () => {
    await assert.rejects(openEtcdBackend(['127.0.0.1:1']), (e) => {
      return isStoreError(e, 'Unavailable') && /etcd at http:\/\/127.0.0.1:1/.test(e.message);
    });
  });
});
