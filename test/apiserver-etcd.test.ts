import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { startEtcd, type EtcdServer } from './support/etcd-server.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';
import { missingCommand } from './support/requirements.ts';

// The control plane on a real etcd instead of the embedded SQLite file: the same kubectl
// flows must behave the same, and two API servers on one etcd see each other's writes.

const skip = missingCommand('etcd', 'apt-get install -y etcd-server etcd-client');

describe('API server on etcd', { skip }, () => {
  let etcd: EtcdServer;
  let first: TestCluster;
  let second: TestCluster;
  before(async () => {
    etcd = await startEtcd();
    first = await startTestCluster({ storeUrl: etcd.url });
    second = await startTestCluster({ storeUrl: etcd.url });
  });
  after(async () => {
    await second?.close();
    await first?.close();
    await etcd?.stop();
  });

  it('creates, lists, patches, watches and deletes through kubectl', async () => {
    const k = (...args: string[]) => kubectlOk(KUBECTL, first.kubectlArgs, args);
    await k('create', 'namespace', 'on-etcd');
    await k('create', 'deployment', 'web', '-n', 'on-etcd', '--image=nginx:1.27', '--replicas=2');
    await k('scale', 'deploy', 'web', '-n', 'on-etcd', '--replicas=5');
    assert.equal(
      await k('get', 'deploy', 'web', '-n', 'on-etcd', '-o', 'jsonpath={.spec.replicas}'),
      '5',
    );
    assert.match(await k('get', 'deploy', '-n', 'on-etcd'), /^web\s+0\/5\s+/m);
    await k('create', 'configmap', 'gone', '-n', 'on-etcd');
    const wait = kubectl(KUBECTL, first.kubectlArgs, [
      'wait',
      '--for=delete',
      'cm/gone',
      '-n',
      'on-etcd',
      '--timeout=15s',
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await k('delete', 'configmap', 'gone', '-n', 'on-etcd', '--wait=false');
    assert.equal((await wait).code, 0);
  });

  it('lets a second API server on the same etcd see every write of the first', async () => {
    await kubectlOk(KUBECTL, first.kubectlArgs, [
      'create',
      'configmap',
      'shared',
      '--from-literal=by=first',
    ]);
    const seen = await kubectlOk(KUBECTL, second.kubectlArgs, [
      'get',
      'configmap',
      'shared',
      '-o',
      'jsonpath={.data.by}',
    ]);
    assert.equal(seen, 'first');
    await kubectlOk(KUBECTL, second.kubectlArgs, [
      'patch',
      'configmap',
      'shared',
      '--type=merge',
      '-p',
      '{"data":{"by":"second"}}',
    ]);
    const list = await kubectlOk(KUBECTL, first.kubectlArgs, [
      'get',
      'configmap',
      'shared',
      '-o',
      'jsonpath={.data.by}',
    ]);
    assert.equal(list, 'second');
    // A stale write through the other server is a conflict, not a lost update.
    const stale = JSON.parse(
      await kubectlOk(KUBECTL, first.kubectlArgs, ['get', 'configmap', 'shared', '-o', 'json']),
    ) as Record<string, any>;
    await kubectlOk(KUBECTL, second.kubectlArgs, [
      'patch',
      'configmap',
      'shared',
      '--type=merge',
      '-p',
      '{"data":{"by":"third"}}',
    ]);
    stale.data.by = 'stale';
    const r = await kubectl(KUBECTL, first.kubectlArgs, ['replace', '-f', '-'], {
      input: JSON.stringify(stale),
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the object has been modified/);
  });

  it('runs one controller manager between them, elected through a Lease', async () => {
    const holder = async () =>
      kubectlOk(KUBECTL, second.kubectlArgs, [
        'get',
        'lease',
        'wharf-controller-manager',
        '-n',
        'kube-system',
        '-o',
        'jsonpath={.spec.holderIdentity}',
      ]);
    const deadline = Date.now() + 15_000;
    while (
      Date.now() < deadline &&
      (
        await kubectl(KUBECTL, second.kubectlArgs, [
          'get',
          'lease',
          'wharf-controller-manager',
          '-n',
          'kube-system',
        ])
      ).code !== 0
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(await holder(), /_/);
    // Whichever server leads, a cascading delete through the other one completes.
    await kubectlOk(KUBECTL, second.kubectlArgs, ['create', 'configmap', 'parent']);
    const uid = await kubectlOk(KUBECTL, second.kubectlArgs, [
      'get',
      'configmap',
      'parent',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    const child = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kid',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid, blockOwnerDeletion: true },
        ],
      },
    };
    await kubectlOk(KUBECTL, second.kubectlArgs, ['create', '-f', '-'], {
      input: JSON.stringify(child),
    });
    const r = await kubectl(KUBECTL, second.kubectlArgs, [
      'delete',
      'configmap',
      'parent',
      '--cascade=foreground',
      '--timeout=20s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(
      (await kubectl(KUBECTL, first.kubectlArgs, ['get', 'configmap', 'kid'])).code,
      0,
    );
  });
});
