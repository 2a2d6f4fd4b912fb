import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';

// Every namespace gets the `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap,
// as in Kubernetes, and gets them back if they are deleted.

describe('namespace defaults', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  async function eventually(args: string[], what: string): Promise<string> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const r = await kubectl(KUBECTL, cluster.kubectlArgs, args);
      if (r.code === 0) return r.stdout;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  }
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('gives a new namespace its default service account and the cluster CA', async () => {
    await k('create', 'namespace', 'fresh');
    await eventually(
      ['get', 'serviceaccount', 'default', '-n', 'fresh'],
      'the default service account',
    );
    const ca = await eventually(
      ['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh', '-o', 'jsonpath={.data.ca\\.crt}'],
      'the root CA config map',
    );
    assert.equal(ca, cluster.caPem);
  });

  it('puts them back when they are deleted', async () => {
    await k('delete', 'serviceaccount', 'default', '-n', 'fresh');
    await k('delete', 'configmap', 'kube-root-ca.crt', '-n', 'fresh');
    await eventually(
      ['get', 'serviceaccount', 'default', '-n', 'fresh'],
      'the service account to return',
    );
    await eventually(['get', 'configmap', 'kube-root-ca.crt', '-n', 'fresh'], 'the CA to return');
  });
});
