import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { BUILTIN_RESOURCES } from '../../api/builtin.ts';
import { openSqliteBackend, type Backend } from '../../store/index.ts';
import { builtinAdmission } from '../builtin-admission.ts';
import { StatusError } from '../errors.ts';
import { ResourceStore, type WriteContext } from './resource-store.ts';
import { knownJsonOf } from './serialized.ts';
import type { WatchCache } from './watch-cache.ts';

// guaranteedUpdate starts from the watch cache's copy of an object. The cache trails the
// store, so these cases hand it a copy that is one write behind on purpose and check
// that nothing is lost, refused or skipped because of it.

const configMaps = BUILTIN_RESOURCES.find((t) => t.group === '' && t.kind === 'ConfigMap')!;
const ctx: WriteContext = { now: new Date('2026-01-01T00:00:00Z'), dryRun: false };

/** A cache that answers from a fixed map: whatever the test says it holds, stale or not. */
function fixedCache(objects: Map<string, KubeObject>): WatchCache {
  return { get: (key: string) => objects.get(key) } as unknown as WatchCache;
}

describe('ResourceStore.guaranteedUpdate from a stale cache', () => {
  let dir: string;
  let store: Backend;
  let cached: Map<string, KubeObject>;
  let rs: ResourceStore;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rs-'));
    store = await openSqliteBackend(path.join(dir, 'state.db'));
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Creates `name` with data v=1, then writes v=2 behind the cache's back. */
  async function staleObject(name: string): Promise<{ first: KubeObject; second: KubeObject }> {
    // The namespace must exist for a create; the cache is where that is looked up first.
    cached = new Map([
      ['/registry/core/namespaces/default', { kind: 'Namespace', metadata: { name: 'default' } }],
    ]);
    rs = new ResourceStore(configMaps, {
      store,
      cache: fixedCache(cached),
      admission: builtinAdmission,
    });
    const first = await rs.create('default', { metadata: { name }, data: { v: '1' } }, ctx);
    const second = await rs.guaranteedUpdate(
      'default',
      name,
      (cur) => ({ ...cur, data: { v: '2' } }),
      ctx,
    );
    cached.set(rs.key('default', name), structuredClone(first));
    return { first, second };
  }

  it('applies the change to the store state, not to the stale copy', async () => {
    await staleObject('merge');
    const out = await rs.guaranteedUpdate(
      'default',
      'merge',
      (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { added: 'yes' } } }),
      ctx,
    );
    const stored = await rs.get('default', 'merge');
    assert.deepEqual(stored.data, { v: '2' });
    assert.deepEqual(stored.metadata?.labels, { added: 'yes' });
    assert.equal(out.metadata?.resourceVersion, stored.metadata?.resourceVersion);
  });

  it('accepts a resourceVersion the cache has not seen yet', async () => {
    const { second } = await staleObject('pinned');
    const out = await rs.update(
      'default',
      'pinned',
      {
        metadata: { name: 'pinned', resourceVersion: second.metadata?.resourceVersion },
        data: { v: '3' },
      },
      ctx,
    );
    assert.deepEqual(out.object.data, { v: '3' });
    assert.deepEqual((await rs.get('default', 'pinned')).data, { v: '3' });
  });

  it('still refuses a resourceVersion that is really old', async () => {
    const { first } = await staleObject('old');
    await assert.rejects(
      rs.update(
        'default',
        'old',
        {
          metadata: { name: 'old', resourceVersion: first.metadata?.resourceVersion },
          data: { v: '9' },
        },
        ctx,
      ),
      (err: unknown) => err instanceof StatusError && err.code === 409,
    );
    assert.deepEqual((await rs.get('default', 'old')).data, { v: '2' });
  });

  it('writes a change that only looks like a no-op against the stale copy', async () => {
    await staleObject('noop');
    // v=1 is what the cache holds, so against it this is no change; the store has v=2.
    await rs.guaranteedUpdate('default', 'noop', (cur) => ({ ...cur, data: { v: '1' } }), ctx);
    assert.deepEqual((await rs.get('default', 'noop')).data, { v: '1' });
  });

  it('returns an object of its own, not the cache copy, on a real no-op', async () => {
    await staleObject('own');
    cached.set(rs.key('default', 'own'), await rs.get('default', 'own'));
    const out = await rs.guaranteedUpdate('default', 'own', (cur) => cur, ctx);
    assert.notEqual(out, cached.get(rs.key('default', 'own')));
    assert.deepEqual(out.data, { v: '2' });
  });

  it('leaves the cache copy untouched when the change is made copy-on-write', async () => {
    await staleObject('cow');
    const current = await rs.get('default', 'cow');
    cached.set(rs.key('default', 'cow'), current);
    const before = structuredClone(current);
    const out = await rs.guaranteedUpdate(
      'default',
      'cow',
      (cur) => ({ ...cur, data: { v: '6' } }),
      ctx,
      { copyOnWrite: true },
    );
    assert.deepEqual(current, before, 'the shared copy, metadata included, is unchanged');
    assert.deepEqual(out.data, { v: '6' });
    assert.notEqual(out.metadata?.resourceVersion, before.metadata?.resourceVersion);
    assert.deepEqual((await rs.get('default', 'cow')).data, { v: '6' });
  });

  it('answers a write with the JSON it stored, the resourceVersion spliced in', async () => {
    const { first, second } = await staleObject('wire');
    // A created object gets its resourceVersion last; the recorded JSON has it first, so
    // this JSON was recorded at the write, not serialized afresh.
    assert.notEqual(knownJsonOf(first), JSON.stringify(first));
    for (const written of [first, second]) {
      const wire = knownJsonOf(written);
      const rv = written.metadata?.resourceVersion;
      assert.ok(wire.startsWith(`{"metadata":{"resourceVersion":"${rv}"`), wire);
      assert.deepEqual(JSON.parse(wire), written);
    }
  });

  it('reads the store for an object the cache has not heard of', async () => {
    await staleObject('unheard');
    cached.clear();
    const out = await rs.guaranteedUpdate(
      'default',
      'unheard',
      (cur) => ({ ...cur, data: { v: '4' } }),
      ctx,
    );
    assert.deepEqual(out.data, { v: '4' });
  });

  it('says NotFound for an object that is gone from the store but not from the cache', async () => {
    await staleObject('gone');
    await store.delete(rs.key('default', 'gone'));
    await assert.rejects(
      rs.guaranteedUpdate('default', 'gone', (cur) => ({ ...cur, data: { v: '5' } }), ctx),
      (err: unknown) => err instanceof StatusError && err.code === 404,
    );
  });
});
