import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from './support/cluster.ts';

// The official JavaScript client against wharf: typed calls, a raw watch, and an
// informer that must end up with exactly what the server holds.

function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}`)),
      timeoutMs,
    );
    const poll = () => {
      if (check()) {
        clearTimeout(deadline);
        resolve();
      } else setTimeout(poll, 20);
    };
    poll();
  });
}

describe('@kubernetes/client-node against wharf', () => {
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;

  before(async () => {
    cluster = await startTestCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
  });
  after(async () => {
    await cluster?.close();
  });

  it('lists, creates, reads, replaces and deletes', async () => {
    const namespaces = await core.listNamespace();
    assert.deepEqual(namespaces.items.map((n) => n.metadata?.name).sort(), [
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'from-js', labels: { via: 'client-node' } }, data: { a: '1' } },
    });
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: 'from-js', namespace: 'default' });
    assert.equal(read.data?.a, '1');
    read.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({
      name: 'from-js',
      namespace: 'default',
      body: read,
    });
    assert.notEqual(replaced.metadata?.resourceVersion, read.metadata?.resourceVersion);
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'from-js', namespace: 'default', body: read }),
      (err: unknown) => (err as { code?: number }).code === 409,
    );
    await core.deleteNamespacedConfigMap({ name: 'from-js', namespace: 'default' });
    await assert.rejects(
      core.readNamespacedConfigMap({ name: 'from-js', namespace: 'default' }),
      (err: unknown) => (err as { code?: number }).code === 404,
    );
  });

  it('watches changes in order', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion },
      (type: string, obj: k8s.V1ConfigMap) =>
        events.push(`${type} ${obj.metadata?.name} ${obj.data?.v ?? ''}`),
      () => {},
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'watched' }, data: { v: '1' } },
      });
      await core.patchNamespacedConfigMap(
        { name: 'watched', namespace: 'default', body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
      await until(() => events.length >= 3, 'three watch events');
      assert.deepEqual(events, ['ADDED watched 1', 'MODIFIED watched 2', 'DELETED watched 2']);
    } finally {
      req.abort();
    }
  });

  it('runs an informer whose cache matches the server', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const seen: string[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: k8s.V1ConfigMap) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o: k8s.V1ConfigMap) => seen.push(`delete ${o.metadata?.name}`));
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'before-start' } },
    });
    await informer.start();
    try {
      await until(() => seen.includes('add before-start'), 'the informer to list existing objects');
      for (let i = 0; i < 5; i++) {
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: `inf-${i}` }, data: { i: String(i) } },
        });
      }
      await core.deleteNamespacedConfigMap({ name: 'inf-0', namespace: 'default' });
      await core.patchNamespacedConfigMap(
        { name: 'inf-1', namespace: 'default', body: { data: { i: 'changed' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await until(
        () => seen.includes('delete inf-0') && seen.includes('update inf-1'),
        'informer events',
      );
      const server = await core.listNamespacedConfigMap({ namespace: 'default' });
      const cached = informer
        .list('default')
        .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
        .sort();
      const truth = server.items
        .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
        .sort();
      assert.deepEqual(cached, truth);
    } finally {
      await informer.stop();
    }
  });
});
