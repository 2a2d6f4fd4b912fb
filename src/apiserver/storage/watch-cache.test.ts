import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteBackend, type Backend } from '../../store/index.ts';
import { WatchCache, type CacheEvent } from './watch-cache.ts';

// Each watcher gets exactly the events under its prefix, in revision order, and none
// after it stopped watching; watchers of the same prefix each get their own.

describe('watch cache delivery by prefix', () => {
  let dir: string;
  let store: Backend;
  let cache: WatchCache;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-wc-'));
    store = await openSqliteBackend(path.join(dir, 'state.db'));
    cache = new WatchCache(store);
    await cache.start();
  });
  after(async () => {
    cache.stop();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hands each watcher the events of its collection or namespace only', async () => {
    const seen = new Map<string, string[]>();
    const watch = (name: string, prefix: string) => {
      seen.set(name, []);
      return cache.watch(
        {
          prefix,
          deliver: (events: CacheEvent[]) => seen.get(name)!.push(...events.map((e) => e.key)),
          terminate: () => undefined,
        },
        cache.revision,
      );
    };
    watch('all config maps', '/registry/core/configmaps/');
    watch('all config maps, again', '/registry/core/configmaps/');
    watch('config maps of a', '/registry/core/configmaps/a/');
    watch('secrets', '/registry/core/secrets/');
    watch('everything', '/registry/');
    const stopped = watch('stopped', '/registry/core/configmaps/');
    stopped();

    const keys = [
      '/registry/core/configmaps/a/one',
      '/registry/core/configmaps/ab/two',
      '/registry/core/secrets/a/three',
      '/registry/core/configmaps/a/four',
      '/registry/core/configmapsx/a/five',
    ];
    let revision = 0;
    for (const key of keys) revision = await store.create(key, Buffer.from('{"metadata":{}}'));
    await cache.waitFresh(revision);

    const configMaps = [keys[0], keys[1], keys[3]];
    assert.deepEqual(Object.fromEntries(seen), {
      'all config maps': configMaps,
      'all config maps, again': configMaps,
      'config maps of a': [keys[0], keys[3]],
      secrets: [keys[2]],
      everything: keys,
      stopped: [],
    });
  });
});
