import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../api/index.ts';
import { startTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { InformerFactory } from './informer-factory.ts';
import { Informer } from './informer.ts';
import { RestClient, type ResourceRef, type WatchOptions } from './rest-client.ts';
import { CONFIGMAPS, createNamespace, eventually, NAMESPACES } from './test-support.ts';

// Informers against a real wharf API server.

const NS = 'informer-test';
let cluster: TestCluster;
let client: CountingClient;

/** Counts watch requests, to know when the informer has re-watched after a timeout. */
class CountingClient extends RestClient {
  watches = 0;
  override watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    opts?: WatchOptions,
  ) {
    this.watches++;
    return super.watch<T>(ref, namespace, opts);
  }
}

before(
  async () => {
    cluster = await startTestCluster();
    client = new CountingClient({
      server: cluster.url,
      token: cluster.token,
      caPem: cluster.caPem,
    });
    await createNamespace(client, NS);
  },
  { timeout: 20_000 },
);

after(async () => {
  client?.close();
  await cluster?.close();
});

const cm = (name: string, app: string, v = '1') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { app } },
  data: { v },
});
const summary = (objs: KubeObject[]) =>
  objs.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();

describe('Informer against the API server', { timeout: 20_000 }, () => {
  it('syncs, follows changes through watch timeouts, and ends equal to a fresh list', async () => {
    for (const name of ['a', 'b', 'c'])
      await client.create(CONFIGMAPS, NS, cm(name, name === 'b' ? 'db' : 'web'));
    // Only this test's objects: every namespace also holds the controllers' root CA map.
    const informer = new Informer(client, CONFIGMAPS, {
      namespace: NS,
      labelSelector: 'app',
      timeoutSeconds: 1,
    });
    informer.store.addIndexer('app', (o) => [o.metadata?.labels?.app ?? '']);
    const events: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => events.push(`add ${o.metadata?.name}`),
      onUpdate: (prev, next) =>
        events.push(
          `update ${prev.metadata?.name} ${prev.data && (prev.data as { v: string }).v}->${(next.data as { v: string }).v}`,
        ),
      onDelete: (o) => events.push(`delete ${o.metadata?.name}`),
    });
    const stop = new AbortController();
    informer.start(stop.signal);
    try {
      assert.equal(await informer.waitForSync(AbortSignal.timeout(10_000)), true);
      assert.deepEqual(informer.store.keys().sort(), [`${NS}/a`, `${NS}/b`, `${NS}/c`]);
      assert.deepEqual(events.sort(), ['add a', 'add b', 'add c']);
      events.length = 0;

      const a = await client.get(CONFIGMAPS, NS, 'a');
      await client.create(CONFIGMAPS, NS, cm('d', 'web'));
      await client.update(CONFIGMAPS, NS, 'a', { ...a, data: { v: '2' } });
      await client.delete(CONFIGMAPS, NS, 'b');
      await eventually('the informer to see the delete', () => events.length === 3);
      assert.deepEqual(events, ['add d', 'update a 1->2', 'delete b']);
      assert.deepEqual(
        informer.store
          .byIndex('app', 'web')
          .map((o) => o.metadata?.name)
          .sort(),
        ['a', 'c', 'd'],
      );
      assert.deepEqual(informer.store.byIndex('app', 'db'), []);

      // Let two watches time out (timeoutSeconds: 1); the informer re-watches from its resourceVersion.
      const watchesBefore = client.watches;
      await eventually(
        'two re-watches after timeouts',
        () => client.watches >= watchesBefore + 2,
        15_000,
      );
      assert.deepEqual(
        events.length,
        3,
        `no events replayed by the re-watch: ${events.join(', ')}`,
      );

      const c = await client.get(CONFIGMAPS, NS, 'c');
      await client.update(CONFIGMAPS, NS, 'c', { ...c, data: { v: '9' } });
      await client.delete(CONFIGMAPS, NS, 'd');
      await client.create(CONFIGMAPS, NS, cm('e', 'db'));
      await eventually('the informer to see the last create', () => events.length === 6);
      assert.deepEqual(events.slice(3), ['update c 1->9', 'delete d', 'add e']);

      const fresh = await client.list(CONFIGMAPS, NS, { labelSelector: 'app' });
      assert.deepEqual(summary(informer.store.list()), summary(fresh.items));
      assert.deepEqual(
        informer.store.byIndex('app', 'db').map((o) => o.metadata?.name),
        ['e'],
      );
    } finally {
      stop.abort();
      await informer.stop();
    }
  });

  it('shares one informer per resource through the factory', async () => {
    const factory = new InformerFactory(client);
    const first = factory.informerFor(NAMESPACES);
    const second = factory.informerFor(NAMESPACES);
    assert.equal(first, second);
    const configmaps = factory.informerFor(CONFIGMAPS);
    const stop = new AbortController();
    factory.start(stop.signal);
    try {
      assert.equal(await factory.waitForSync(AbortSignal.timeout(10_000)), true);
      assert.ok(first.store.get('default'));
      assert.ok(first.store.get(NS));
      assert.ok(configmaps.hasSynced());
      // An informer asked for after start is started by the next start call.
      const leases = factory.informerFor({
        group: 'coordination.k8s.io',
        version: 'v1',
        resource: 'leases',
        namespaced: true,
      });
      assert.equal(leases.hasSynced(), false);
      factory.start(stop.signal);
      assert.equal(await factory.waitForSync(AbortSignal.timeout(10_000)), true);
      assert.ok(leases.hasSynced());
    } finally {
      stop.abort();
      await factory.stop();
    }
  });
});
