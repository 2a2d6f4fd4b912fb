import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';

// Cascading deletion through ownerReferences (background, foreground, orphan) and the
// deletion of a whole namespace, driven by kubectl and carried out by the controllers.

describe('garbage collection and namespace deletion', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const json = async (...args: string[]) =>
    JSON.parse(await k(...args, '-o', 'json')) as Record<string, any>;

  /** An owner ConfigMap with `count` dependent ConfigMaps that block its deletion. */
  async function family(name: string, count: number, ns = 'default'): Promise<string> {
    await k('create', 'configmap', name, '-n', ns);
    const uid = (await json('get', 'cm', name, '-n', ns)).metadata.uid as string;
    for (let i = 0; i < count; i++) {
      const child = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `${name}-child-${i}`,
          namespace: ns,
          labels: { family: name },
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name,
              uid,
              blockOwnerDeletion: true,
              controller: true,
            },
          ],
        },
      };
      await kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
        input: JSON.stringify(child),
      });
    }
    return uid;
  }

  const children = async (name: string, ns = 'default') =>
    (await json('get', 'cm', '-n', ns, '-l', `family=${name}`)).items as {
      metadata: { ownerReferences?: unknown[] };
    }[];

  async function eventually(
    check: () => Promise<boolean>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  }

  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('background: deleting the owner removes its dependents afterwards', async () => {
    await family('bg', 3);
    assert.match(await k('delete', 'cm', 'bg', '--cascade=background'), /configmap "bg" deleted/);
    await eventually(async () => (await children('bg')).length === 0, 'dependents to be collected');
  });

  it('foreground: the owner waits for its blocking dependents, and kubectl waits for the owner', async () => {
    await family('fg', 3);
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'delete',
      'cm',
      'fg',
      '--cascade=foreground',
      '--timeout=20s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await children('fg')).length, 0);
    const gone = await kubectl(KUBECTL, cluster.kubectlArgs, ['get', 'cm', 'fg']);
    assert.notEqual(gone.code, 0);
  });

  it('orphan: dependents stay and lose their owner reference', async () => {
    await family('orph', 2);
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'delete',
      'cm',
      'orph',
      '--cascade=orphan',
      '--timeout=20s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(async () => {
      const left = await children('orph');
      return left.length === 2 && left.every((c) => !c.metadata.ownerReferences);
    }, 'dependents to be released');
  });

  it('a dependent whose owner never existed is collected', async () => {
    const orphan = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dangling',
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'ghost',
            uid: '00000000-0000-0000-0000-000000000000',
          },
        ],
      },
    };
    await kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
      input: JSON.stringify(orphan),
    });
    await eventually(
      async () =>
        (await kubectl(KUBECTL, cluster.kubectlArgs, ['get', 'cm', 'dangling'])).code !== 0,
      'the dangling dependent to go',
    );
  });

  it('deleting a namespace empties it and then removes it', async () => {
    await k('create', 'namespace', 'doomed');
    await family('inside', 2, 'doomed');
    await k('create', 'secret', 'generic', 's', '-n', 'doomed', '--from-literal=a=b');
    await k('create', 'deployment', 'web', '-n', 'doomed', '--image=nginx');
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'delete',
      'namespace',
      'doomed',
      '--timeout=30s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const gone = await kubectl(KUBECTL, cluster.kubectlArgs, ['get', 'namespace', 'doomed']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /namespaces "doomed" not found/);
    const create = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'create',
      'configmap',
      'late',
      '-n',
      'doomed',
    ]);
    assert.notEqual(create.code, 0);
  });

  it('refuses new content in a namespace that is terminating', async () => {
    await k('create', 'namespace', 'closing');
    // A finalizer of our own keeps the namespace Terminating while we try.
    await k(
      'patch',
      'namespace',
      'closing',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    );
    await k('delete', 'namespace', 'closing', '--wait=false');
    await eventually(
      async () => (await json('get', 'namespace', 'closing')).status.phase === 'Terminating',
      'Terminating',
    );
    const r = await kubectl(KUBECTL, cluster.kubectlArgs, [
      'create',
      'configmap',
      'x',
      '-n',
      'closing',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /unable to create new content in namespace closing because it is being terminated/,
    );
    await k(
      'patch',
      'namespace',
      'closing',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    );
    await eventually(
      async () =>
        (await kubectl(KUBECTL, cluster.kubectlArgs, ['get', 'namespace', 'closing'])).code !== 0,
      'the namespace to go',
    );
  });
});
