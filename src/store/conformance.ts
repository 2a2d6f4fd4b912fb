import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_VALUE_BYTES, StoreError, type Backend, type WatchEvent } from './types.ts';

// One suite every store driver must pass (hono's common.case.test.ts shape): a driver's
// test file only says how to open a fresh backend. Tests share one backend and keep to
// their own key prefixes, so they also prove that prefixes isolate.

export interface ConformanceOptions {
  name: string;
  newBackend: () => Promise<Backend>;
  /** A skip message (a missing system component), or false. */
  skip?: string | false;
}

const buf = (s: string) => Buffer.from(s);
const str = (b: Buffer) => b.toString('utf8');

async function rejectsWith(
  promise: Promise<unknown>,
  code: StoreError['code'],
): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected StoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected StoreError ${code}, but the call succeeded`);
}

/** Reads a watch until `count` events arrived or `timeoutMs` passed. */
async function collect(
  backend: Backend,
  prefix: string,
  afterRevision: number,
  count: number,
  timeoutMs = 10_000,
): Promise<WatchEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: WatchEvent[] = [];
  try {
    for await (const batch of backend.watch(prefix, afterRevision, { signal: controller.signal })) {
      events.push(...batch);
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}

export function runBackendConformance(opts: ConformanceOptions): void {
  describe(`store conformance: ${opts.name}`, { skip: opts.skip }, () => {
    let store: Backend;
    before(async () => {
      store = await opts.newBackend();
    });
    after(async () => {
      await store?.close();
    });

    it('creates, reads, updates and deletes with growing revisions', async () => {
      const r0 = await store.currentRevision();
      const r1 = await store.create('/crud/a', buf('one'));
      assert.ok(r1 > r0);
      const got = await store.get('/crud/a');
      assert.ok(got);
      assert.equal(str(got.value), 'one');
      assert.equal(got.createRevision, r1);
      assert.equal(got.modRevision, r1);
      assert.equal(got.version, 1);
      await rejectsWith(store.create('/crud/a', buf('again')), 'KeyExists');

      const updated = await store.update('/crud/a', buf('two'), r1);
      assert.ok(updated.modRevision > r1);
      assert.equal(updated.createRevision, r1);
      assert.equal(updated.version, 2);
      assert.equal(str((await store.get('/crud/a'))!.value), 'two');

      const conflict = await rejectsWith(store.update('/crud/a', buf('stale'), r1), 'Conflict');
      assert.equal(conflict.current?.modRevision, updated.modRevision);
      assert.equal(str(conflict.current!.value), 'two');
      await rejectsWith(store.update('/crud/missing', buf('x'), 1), 'NotFound');

      await rejectsWith(store.delete('/crud/a', r1), 'Conflict');
      const deleted = await store.delete('/crud/a', updated.modRevision);
      assert.ok(deleted.revision > updated.modRevision);
      assert.equal(str(deleted.prev.value), 'two');
      assert.equal(await store.get('/crud/a'), null);
      await rejectsWith(store.delete('/crud/a'), 'NotFound');
      assert.equal(await store.currentRevision(), deleted.revision);

      // A re-created key starts a new life: new createRevision, version 1.
      const r2 = await store.create('/crud/a', buf('three'));
      const again = await store.get('/crud/a');
      assert.equal(again!.createRevision, r2);
      assert.equal(again!.version, 1);
    });

    it('lists in key order within a prefix only, and counts', async () => {
      for (const k of ['b', 'a', 'c']) await store.create(`/order/x/${k}`, buf(k));
      await store.create('/order/xy', buf('not mine'));
      await store.create('/order/w', buf('not mine'));
      const list = await store.list('/order/x/');
      assert.deepEqual(
        list.kvs.map((kv) => kv.key),
        ['/order/x/a', '/order/x/b', '/order/x/c'],
      );
      assert.equal(list.continue, undefined);
      assert.equal(list.revision, await store.currentRevision());
      assert.equal((await store.count('/order/x/')).count, 3);
      assert.equal((await store.count('/order/')).count, 5);
    });

    it('keeps every update of 32 concurrent updaters of one key (no lost update)', async () => {
      const key = '/race/counter';
      await store.create(key, buf(JSON.stringify({ n: 0, by: [] })));
      const perWriter = 10;
      const successes: number[] = [];
      let conflicts = 0;
      const writer = async (id: number) => {
        let done = 0;
        while (done < perWriter) {
          const cur = (await store.get(key))!;
          const doc = JSON.parse(str(cur.value)) as { n: number; by: number[] };
          doc.n += 1;
          doc.by.push(id);
          try {
            const kv = await store.update(key, buf(JSON.stringify(doc)), cur.modRevision);
            successes.push(kv.modRevision);
            done++;
          } catch (err) {
            assert.ok(err instanceof StoreError && err.code === 'Conflict', String(err));
            conflicts++;
          }
        }
      };
      await Promise.all(Array.from({ length: 32 }, (_, i) => writer(i)));
      const final = JSON.parse(str((await store.get(key))!.value)) as { n: number; by: number[] };
      assert.equal(final.n, 32 * perWriter);
      assert.equal(successes.length, 32 * perWriter);
      assert.equal(new Set(successes).size, successes.length, 'each success has its own revision');
      for (let id = 0; id < 32; id++) {
        assert.equal(final.by.filter((x) => x === id).length, perWriter, `writer ${id}`);
      }
      assert.ok(conflicts > 0, 'concurrent updaters must have met conflicts');
      assert.equal((await store.get(key))!.version, 1 + 32 * perWriter);
    });

    it('watches from a past revision in order, with previous values, then live', async () => {
      const start = await store.currentRevision();
      await store.create('/watch/a', buf('a1'));
      const rb = await store.create('/watch/b', buf('b1'));
      const a1 = (await store.get('/watch/a'))!;
      await store.update('/watch/a', buf('a2'), a1.modRevision);
      await store.create('/watchers-not-mine', buf('x'));
      await store.delete('/watch/b', rb);

      const past = await collect(store, '/watch/', start, 4);
      assert.deepEqual(
        past.map((e) => [e.type, e.kv.key, str(e.kv.value), e.prev && str(e.prev.value)]),
        [
          ['create', '/watch/a', 'a1', undefined],
          ['create', '/watch/b', 'b1', undefined],
          ['update', '/watch/a', 'a2', 'a1'],
          ['delete', '/watch/b', 'b1', 'b1'],
        ],
      );
      const revs = past.map((e) => e.kv.modRevision);
      assert.deepEqual(
        revs,
        [...revs].sort((x, y) => x - y),
      );
      assert.equal(past[3]!.kv.modRevision, await store.currentRevision());

      // From the middle: only what came after.
      const tail = await collect(store, '/watch/', past[1]!.kv.modRevision, 2);
      assert.deepEqual(
        tail.map((e) => e.type),
        ['update', 'delete'],
      );

      // Live: a watch from now sees writes made after it started, and nothing twice.
      const now = await store.currentRevision();
      const live = collect(store, '/watch/', now, 3);
      await new Promise((r) => setTimeout(r, 50));
      await store.create('/watch/c', buf('c1'));
      await store.create('/watch/d', buf('d1'));
      await store.create('/watch/e', buf('e1'));
      const got = await live;
      assert.deepEqual(
        got.map((e) => e.kv.key),
        ['/watch/c', '/watch/d', '/watch/e'],
      );
    });

    it('replays and then streams live writes with no gap and no duplicate', async () => {
      const from = await store.currentRevision();
      const total = 400;
      const writes = (async () => {
        for (let i = 0; i < total; i++) {
          await store.create(`/stream/${String(i).padStart(4, '0')}`, buf(String(i)));
        }
      })();
      await new Promise((r) => setTimeout(r, 5));
      const events = await collect(store, '/stream/', from, total, 30_000);
      await writes;
      assert.equal(events.length, total);
      events.forEach((e, i) => assert.equal(str(e.kv.value), String(i)));
    });

    it('gives watches opened between a commit and its acknowledgement each write once', async () => {
      const from = await store.currentRevision();
      const total = 300;
      // Many writers at once, so that batches are committed while earlier ones still wait
      // for their flush, and watches open at every turn of the event loop in between.
      const writes = Promise.all(
        Array.from({ length: total }, (_, i) =>
          store.create(`/inflight/${String(i).padStart(4, '0')}`, buf(String(i))),
        ),
      );
      const watches: Promise<WatchEvent[]>[] = [];
      for (let i = 0; i < 8; i++) {
        watches.push(collect(store, '/inflight/', from, total, 30_000));
        await new Promise((r) => setImmediate(r));
      }
      await writes;
      for (const events of await Promise.all(watches)) {
        const revisions = events.map((e) => e.kv.modRevision);
        assert.equal(events.length, total, 'every write once');
        assert.deepEqual(
          revisions,
          [...revisions].sort((a, b) => a - b),
          'in revision order',
        );
        assert.equal(new Set(revisions).size, total, 'no write twice');
      }
    });

    it('stays available after many watches end in a row', async () => {
      const rev = await store.currentRevision();
      for (let i = 0; i < 6; i++) {
        const controller = new AbortController();
        const watching = (async () => {
          for await (const _ of store.watch('/ending/', rev, { signal: controller.signal }));
        })();
        await new Promise((r) => setTimeout(r, 10));
        controller.abort();
        await watching;
      }
      await store.create('/ending/after', buf('still here'));
      assert.equal(str((await store.get('/ending/after'))!.value), 'still here');
    });

    it('ends a watch when its signal aborts', async () => {
      const controller = new AbortController();
      const rev = await store.currentRevision();
      // Abort only once the write has been delivered, so a slow store cannot end
      // the watch before its event arrives and make the count race the clock.
      let delivered!: () => void;
      const firstBatch = new Promise<void>((r) => (delivered = r));
      const done = (async () => {
        let n = 0;
        for await (const batch of store.watch('/abort/', rev, { signal: controller.signal })) {
          n += batch.length;
          delivered();
        }
        return n;
      })();
      await store.create('/abort/a', buf('1'));
      await firstBatch;
      controller.abort();
      assert.equal(await done, 1);
    });

    it('lists at a past revision, and refuses future and compacted revisions', async () => {
      const r1 = await store.create('/hist/a', buf('a1'));
      await store.create('/hist/b', buf('b1'));
      const a = (await store.get('/hist/a'))!;
      await store.update('/hist/a', buf('a2'), a.modRevision);
      const b = (await store.get('/hist/b'))!;
      await store.delete('/hist/b', b.modRevision);

      const then = await store.list('/hist/', { revision: r1 + 1 });
      assert.equal(then.revision, r1 + 1);
      assert.deepEqual(
        then.kvs.map((kv) => [kv.key, str(kv.value)]),
        [
          ['/hist/a', 'a1'],
          ['/hist/b', 'b1'],
        ],
      );
      const now = await store.list('/hist/');
      assert.deepEqual(
        now.kvs.map((kv) => [kv.key, str(kv.value)]),
        [['/hist/a', 'a2']],
      );
      const future = (await store.currentRevision()) + 1000;
      await rejectsWith(store.list('/hist/', { revision: future }), 'FutureRevision');
      await rejectsWith(store.list('/hist/', { continue: 'garbage' }), 'InvalidContinue');
    });

    it('compacts: old revisions and watches from them fail, newer ones still work', async () => {
      const oldRev = await store.create('/compact/a', buf('1'));
      let kv = (await store.get('/compact/a'))!;
      for (let i = 2; i <= 5; i++)
        kv = await store.update('/compact/a', buf(String(i)), kv.modRevision);
      const rb = await store.create('/compact/b', buf('b'));
      await store.delete('/compact/b', rb);
      const mark = await store.currentRevision();
      // A watch running across the compaction keeps going.
      const running = collect(store, '/compact/', mark, 1);
      await store.compact(mark);
      await store.compact(mark); // idempotent
      assert.ok((await store.compactedRevision()) >= mark);

      await rejectsWith(store.list('/compact/', { revision: oldRev }), 'Compacted');
      const err = await rejectsWith(collect(store, '/compact/', oldRev, 1), 'Compacted');
      assert.ok((err.compactedRevision ?? 0) >= mark);

      // The snapshot at the compacted revision itself is intact.
      const atMark = await store.list('/compact/', { revision: mark });
      assert.deepEqual(
        atMark.kvs.map((x) => [x.key, str(x.value)]),
        [['/compact/a', '5']],
      );
      const next = await store.update('/compact/a', buf('6'), kv.modRevision);
      const [ev] = await running;
      assert.equal(ev!.type, 'update');
      assert.equal(str(ev!.prev!.value), '5');
      const replay = await collect(store, '/compact/', mark, 1);
      assert.equal(replay[0]!.kv.modRevision, next.modRevision);
      assert.equal(str(replay[0]!.prev!.value), '5');
    });

    it('paginates 10,000 keys at one snapshot while writes go on', async () => {
      const n = 10_000;
      const key = (i: number) => `/page/${String(i).padStart(5, '0')}`;
      for (let i = 0; i < n; i += 250) {
        await Promise.all(
          Array.from({ length: Math.min(250, n - i) }, (_, j) =>
            store.create(key(i + j), buf('v0')),
          ),
        );
      }
      const first = await store.list('/page/', { limit: 500 });
      const snapshot = first.revision;
      assert.equal(first.kvs.length, 500);
      assert.equal(first.remaining, n - 500);
      const seen = [...first.kvs];
      let token = first.continue;
      let writes = 0;
      while (token) {
        // Writes between pages: update a key ahead, delete one, add one.
        const target = key(seen.length + 17);
        const cur = await store.get(target);
        if (cur) await store.update(target, buf('changed'), cur.modRevision);
        const gone = key(seen.length + 123);
        if (await store.get(gone)) await store.delete(gone);
        await store.create(`/page/${String(seen.length).padStart(5, '0')}-new`, buf('new'));
        writes += 3;
        const page = await store.list('/page/', { limit: 500, continue: token });
        assert.equal(page.revision, snapshot);
        seen.push(...page.kvs);
        token = page.continue;
      }
      assert.ok(writes > 0);
      assert.equal(seen.length, n);
      seen.forEach((kv, i) => {
        assert.equal(kv.key, key(i));
        assert.equal(str(kv.value), 'v0');
      });
      const later = await store.list('/page/', { limit: 0 });
      assert.notEqual(later.kvs.length, 0);
      assert.ok(later.revision > snapshot);
    });

    it('holds values up to 1.5 MiB and refuses bigger ones clearly', async () => {
      const big = Buffer.alloc(MAX_VALUE_BYTES, 7);
      await store.create('/big/ok', big);
      const got = await store.get('/big/ok');
      assert.equal(got!.value.length, MAX_VALUE_BYTES);
      assert.ok(got!.value.equals(big));
      const err = await rejectsWith(
        store.create('/big/no', Buffer.alloc(MAX_VALUE_BYTES + 1)),
        'ValueTooLarge',
      );
      assert.match(err.message, /\/big\/no.*over the limit/);
      await rejectsWith(
        store.update('/big/ok', Buffer.alloc(MAX_VALUE_BYTES + 1), got!.modRevision),
        'ValueTooLarge',
      );
      const listed = await store.list('/big/');
      assert.equal(listed.kvs.length, 1);
    });

    it('expires keys with a TTL as a watched delete', async () => {
      const rev = await store.currentRevision();
      await store.create('/ttl/short', buf('x'), { ttlSeconds: 2 });
      await store.create('/ttl/forever', buf('y'));
      const events = await collect(store, '/ttl/', rev, 3, 20_000);
      assert.deepEqual(
        events.map((e) => [e.type, e.kv.key]),
        [
          ['create', '/ttl/short'],
          ['create', '/ttl/forever'],
          ['delete', '/ttl/short'],
        ],
      );
      assert.equal(await store.get('/ttl/short'), null);
      assert.ok(await store.get('/ttl/forever'));
    });
  });
}
