import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { ApiError, isAlreadyExists, isConflict, isGone, isNotFound } from './api-error.ts';
import { fromKubeconfig } from './kubeconfig.ts';
import { RestClient, type WatchEvent } from './rest-client.ts';
import { CONFIGMAPS, createNamespace, NAMESPACES, within } from './test-support.ts';

// RestClient against a real wharf API server.

const NS = 'rest-client-test';
let cluster: TestCluster;
let client: RestClient;

before(
  async () => {
    cluster = await startTestCluster();
    client = new RestClient({
      server: cluster.url,
      token: cluster.token,
      caPem: cluster.caPem,
      userAgent: 'wharf-client-test',
    });
    await createNamespace(client, NS);
  },
  { timeout: 20_000 },
);

after(async () => {
  client?.close();
  await cluster?.close();
});

const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

describe('RestClient', { timeout: 20_000 }, () => {
  it('creates, reads, updates and deletes, mapping failures to ApiError', async () => {
    const created = await client.create(CONFIGMAPS, NS, cm('crud', { a: '1' }));
    assert.equal(created.metadata?.namespace, NS);
    assert.ok(created.metadata?.resourceVersion);

    await assert.rejects(client.create(CONFIGMAPS, NS, cm('crud', { a: '2' })), (err) => {
      assert.ok(err instanceof ApiError);
      assert.ok(isAlreadyExists(err), `reason ${err.reason}`);
      assert.equal(err.code, 409);
      assert.equal(err.status.kind, 'Status');
      return true;
    });

    const got = await client.get(CONFIGMAPS, NS, 'crud');
    assert.deepEqual(got.data, { a: '1' });

    const updated = await client.update(CONFIGMAPS, NS, 'crud', { ...got, data: { a: '3' } });
    assert.deepEqual(updated.data, { a: '3' });
    assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);

    // An update based on a stale resourceVersion conflicts.
    await assert.rejects(
      client.update(CONFIGMAPS, NS, 'crud', { ...got, data: { a: '4' } }),
      (err) => {
        assert.ok(isConflict(err), String(err));
        assert.equal((err as ApiError).code, 409);
        return true;
      },
    );

    await client.delete(CONFIGMAPS, NS, 'crud');
    await assert.rejects(client.get(CONFIGMAPS, NS, 'crud'), (err) => {
      assert.ok(isNotFound(err), String(err));
      assert.equal((err as ApiError).code, 404);
      assert.ok(!isConflict(err) && !isGone(err) && !isAlreadyExists(err));
      return true;
    });
    await assert.rejects(client.delete(CONFIGMAPS, NS, 'crud'), isNotFound);
  });

  it('patches with merge, JSON, strategic and apply patches', async () => {
    await client.create(CONFIGMAPS, NS, cm('patched', { a: '1', b: '2' }));
    let obj = await client.patch(CONFIGMAPS, NS, 'patched', { data: { a: null, c: '3' } }, 'merge');
    assert.deepEqual(obj.data, { b: '2', c: '3' });
    obj = await client.patch(
      CONFIGMAPS,
      NS,
      'patched',
      [{ op: 'replace', path: '/data/b', value: 'x' }],
      'json',
    );
    assert.deepEqual(obj.data, { b: 'x', c: '3' });
    obj = await client.patch(
      CONFIGMAPS,
      NS,
      'patched',
      { metadata: { labels: { l: 'v' } } },
      'strategic',
    );
    assert.deepEqual(obj.metadata?.labels, { l: 'v' });
    obj = await client.patch(CONFIGMAPS, NS, 'applied', cm('applied', { k: 'v' }), 'apply', {
      fieldManager: 'test',
      force: true,
    });
    assert.deepEqual(obj.data, { k: 'v' });
    await assert.rejects(
      client.patch(CONFIGMAPS, NS, 'missing', { data: {} }, 'merge'),
      isNotFound,
    );
  });

  it('lists with label selectors and pages through with limit and continue', async () => {
    for (let i = 0; i < 5; i++)
      await client.create(CONFIGMAPS, NS, cm(`page-${i}`, {}, { set: 'paged' }));
    await client.create(CONFIGMAPS, NS, cm('other', {}, { set: 'other' }));
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await client.list(CONFIGMAPS, NS, {
        labelSelector: 'set=paged',
        limit: 2,
        continue: cont,
      });
      names.push(...page.items.map((o) => o.metadata!.name!));
      cont = page.metadata.continue || undefined;
      pages++;
    } while (cont && pages < 10);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    assert.equal(pages, 3);
    const all = await client.list(CONFIGMAPS, '', {
      fieldSelector: `metadata.namespace=${NS},metadata.name=other`,
    });
    assert.deepEqual(
      all.items.map((o) => o.metadata?.name),
      ['other'],
    );
    assert.ok(all.metadata.resourceVersion);
  });

  it('does not persist a dry-run create', async () => {
    const dry = await client.create(CONFIGMAPS, NS, cm('dry', { a: '1' }), { dryRun: true });
    assert.equal(dry.metadata?.name, 'dry');
    await assert.rejects(client.get(CONFIGMAPS, NS, 'dry'), isNotFound);
  });

  it('watches ADDED, MODIFIED and DELETED in order, and ends quietly on abort', async () => {
    const start = await client.list(CONFIGMAPS, NS);
    const abort = new AbortController();
    const seen: WatchEvent[] = [];
    const watching = (async () => {
      const events = client.watch(CONFIGMAPS, NS, {
        resourceVersion: start.metadata.resourceVersion,
        signal: abort.signal,
      });
      for await (const event of events) {
        seen.push(event);
        if (event.type === 'DELETED' && event.object.metadata?.name === 'watched') abort.abort();
      }
    })();
    const created = await client.create(CONFIGMAPS, NS, cm('watched', { v: '1' }));
    await client.update(CONFIGMAPS, NS, 'watched', { ...created, data: { v: '2' } });
    await client.delete(CONFIGMAPS, NS, 'watched');
    await within('the watch to see the delete', watching);
    assert.deepEqual(
      seen.map((e) => [e.type, e.object.metadata?.name, (e.object as { data?: unknown }).data]),
      [
        ['ADDED', 'watched', { v: '1' }],
        ['MODIFIED', 'watched', { v: '2' }],
        ['DELETED', 'watched', { v: '2' }],
      ],
    );
  });

  it('ends a watch when the server-side timeout passes', async () => {
    const start = await client.list(CONFIGMAPS, NS);
    const events: WatchEvent[] = [];
    const watch = client.watch(CONFIGMAPS, NS, {
      resourceVersion: start.metadata.resourceVersion,
      timeoutSeconds: 1,
      allowWatchBookmarks: true,
    });
    await within(
      'the watch to time out',
      (async () => {
        for await (const e of watch) events.push(e);
      })(),
    );
    assert.ok(
      events.every((e) => e.type === 'BOOKMARK'),
      JSON.stringify(events),
    );
  });

  it('serves many concurrent requests over the pooled connections', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => client.get(NAMESPACES, '', NS)),
    );
    assert.ok(results.every((ns) => ns.metadata?.name === NS));
  });

  it('rejects a wrong token with a 401 ApiError', async () => {
    const stranger = new RestClient({
      server: cluster.url,
      token: 'not-a-token',
      caPem: cluster.caPem,
    });
    try {
      await assert.rejects(
        stranger.get(NAMESPACES, '', 'default'),
        (err) => err instanceof ApiError && err.code === 401,
      );
    } finally {
      stranger.close();
    }
  });

  it('connects from a kubeconfig', async () => {
    const fromFile = fromKubeconfig(cluster.kubeconfigPath);
    try {
      const ns = await fromFile.get(NAMESPACES, '', 'default');
      assert.equal(ns.metadata?.name, 'default');
    } finally {
      fromFile.close();
    }
  });
});
