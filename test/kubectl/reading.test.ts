import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk, versionedKubectl } from '../support/kubectl.ts';

// Reading with kubectl: every output format, selectors, all namespaces, chunking,
// sorting, watching, waiting, and the auth commands.

describe('kubectl reads objects', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const kr = (...args: string[]) => kubectl(KUBECTL, cluster.kubectlArgs, args);

  before(async () => {
    cluster = await startTestCluster();
    await k('create', 'namespace', 'shop');
    for (const [name, tier, size] of [
      ['alpha', 'web', '3'],
      ['bravo', 'db', '1'],
      ['charlie', 'web', '2'],
    ]) {
      await k('create', 'configmap', name, '-n', 'shop', `--from-literal=size=${size}`);
      await k('label', 'configmap', name, '-n', 'shop', `tier=${tier}`);
    }
    await k('create', 'configmap', 'elsewhere', '-n', 'default');
    await k('create', 'deployment', 'web', '-n', 'shop', '--image=nginx:1.27', '--replicas=3');
  });
  after(async () => {
    await cluster?.close();
  });

  it('prints tables with the Kubernetes columns, and wide ones', async () => {
    assert.match(
      await k('get', 'cm', '-n', 'shop'),
      /^NAME\s+DATA\s+AGE\n(.*\n)*alpha\s+1\s+\d+s/m,
    );
    const wide = await k('get', 'deploy', '-n', 'shop', '-o', 'wide');
    assert.match(
      wide,
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m,
    );
    assert.match(wide, /^web\s+0\/3\s+\d\s+0\s+\d+s\s+nginx\s+nginx:1\.27\s+app=web$/m);
  });

  it('prints yaml, json, name, jsonpath and custom-columns', async () => {
    assert.match(await k('get', 'cm', 'alpha', '-n', 'shop', '-o', 'yaml'), /^kind: ConfigMap$/m);
    const obj = JSON.parse(await k('get', 'cm', 'alpha', '-n', 'shop', '-o', 'json')) as {
      data: { size: string };
    };
    assert.equal(obj.data.size, '3');
    assert.equal(
      await k('get', 'cm', '-n', 'shop', '-l', 'tier=web', '-o', 'name'),
      'configmap/alpha\nconfigmap/charlie\n',
    );
    assert.equal(
      await k('get', 'cm', '-n', 'shop', '-l', 'tier', '-o', 'jsonpath={.items[*].metadata.name}'),
      'alpha bravo charlie',
    );
    const cols = await k(
      'get',
      'cm',
      '-n',
      'shop',
      '-l',
      'tier',
      '-o',
      'custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier',
    );
    assert.match(cols, /^NAME\s+TIER\nalpha\s+web\nbravo\s+db\ncharlie\s+web\n$/);
  });

  it('selects by labels (all operators) and fields', async () => {
    const names = async (...args: string[]) =>
      (await k('get', 'cm', '-n', 'shop', '-o', 'name', ...args))
        .trim()
        .split('\n')
        .filter(Boolean);
    assert.deepEqual(await names('-l', 'tier in (db)'), ['configmap/bravo']);
    // != also selects objects without the label, such as the root CA every namespace has.
    assert.deepEqual(await names('-l', 'tier!=web'), [
      'configmap/bravo',
      'configmap/kube-root-ca.crt',
    ]);
    assert.deepEqual(await names('-l', '!tier'), ['configmap/kube-root-ca.crt']);
    assert.deepEqual(await names('--field-selector', 'metadata.name=charlie'), [
      'configmap/charlie',
    ]);
    const bad = await kr('get', 'cm', '-n', 'shop', '--field-selector', 'spec.nope=1');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: spec.nope/);
    const badLabel = await kr('get', 'cm', '-n', 'shop', '-l', 'tier in (a');
    assert.notEqual(badLabel.code, 0);
  });

  it('lists across namespaces, in chunks, and sorted', async () => {
    const all = await k('get', 'cm', '-A');
    assert.match(all, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
    assert.match(all, /^default\s+elsewhere\s+0/m);
    assert.match(all, /^shop\s+alpha\s+1/m);
    const chunked = await k(
      'get',
      'cm',
      '-n',
      'shop',
      '-l',
      'tier',
      '--chunk-size=1',
      '-o',
      'name',
    );
    assert.equal(chunked, 'configmap/alpha\nconfigmap/bravo\nconfigmap/charlie\n');
    const sorted = await k(
      'get',
      'cm',
      '-n',
      'shop',
      '-l',
      'tier',
      '--sort-by=.data.size',
      '-o',
      'name',
    );
    assert.equal(sorted, 'configmap/bravo\nconfigmap/charlie\nconfigmap/alpha\n');
    const labels = await k('get', 'cm', '-n', 'shop', '--show-labels');
    assert.match(labels, /alpha\s+1\s+\S+\s+tier=web/);
  });

  it('watches: get -w prints changes as they happen', async () => {
    const child = spawn(
      KUBECTL,
      [...cluster.kubectlArgs, 'get', 'cm', '-n', 'shop', '-w', '--request-timeout=15s'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const seen = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(
          () => reject(new Error(`timed out waiting for ${re} in:\n${out}`)),
          15_000,
        );
        const check = () =>
          re.test(out) ? (clearTimeout(deadline), resolve()) : setTimeout(check, 50);
        check();
      });
    try {
      await seen(/charlie/);
      await k('create', 'configmap', 'delta', '-n', 'shop', '--from-literal=a=b');
      await seen(/^delta\s+1\s+/m);
      await k('delete', 'configmap', 'delta', '-n', 'shop');
      await seen(/^delta\s+1\s+[\s\S]*^delta\s+1\s+/m);
    } finally {
      child.kill();
    }
  });

  it('waits for conditions, jsonpath values and deletion', async () => {
    await k('create', 'namespace', 'waiting');
    const wait = kr(
      'wait',
      'namespace/waiting',
      '--for=jsonpath={.status.phase}=Active',
      '--timeout=10s',
    );
    assert.equal((await wait).code, 0);
    await k('create', 'configmap', 'temp', '-n', 'shop');
    const gone = kr('wait', '--for=delete', 'configmap/temp', '-n', 'shop', '--timeout=15s');
    await new Promise((r) => setTimeout(r, 300));
    await k('delete', 'configmap', 'temp', '-n', 'shop', '--wait=false');
    const r = await gone;
    assert.equal(r.code, 0, r.stderr);
    // A condition set through the status subresource.
    await k('create', 'job', 'cond', '-n', 'shop', '--image=busybox');
    const waiting = kr(
      'wait',
      '--for=condition=Complete',
      'job/cond',
      '-n',
      'shop',
      '--timeout=15s',
    );
    await new Promise((res) => setTimeout(res, 300));
    await k(
      'patch',
      'job',
      'cond',
      '-n',
      'shop',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Complete","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}',
    );
    const done = await waiting;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /job.batch\/cond condition met/);
  });

  it('answers auth can-i and auth whoami', async () => {
    assert.equal((await k('auth', 'can-i', 'create', 'deployments', '-n', 'shop')).trim(), 'yes');
    assert.match(await k('auth', 'can-i', '--list', '-n', 'shop'), /\*\.\*/);
    const who = await k('auth', 'whoami', '-o', 'json');
    assert.equal(
      (JSON.parse(who) as { status: { userInfo: { username: string } } }).status.userInfo.username,
      'system:admin',
    );
  });

  for (const minor of [27, 30, 33]) {
    const bin = versionedKubectl(minor);
    it(
      `works the same with kubectl 1.${minor}`,
      { skip: bin ? false : `kubectl 1.${minor} is not installed` },
      async () => {
        const args = [
          ...cluster.kubectlArgs.slice(0, 2),
          '--cache-dir',
          `${cluster.dataDir}/cache-${minor}`,
        ];
        const out = await kubectlOk(bin!, args, ['get', 'cm', '-n', 'shop', '-l', 'tier=web']);
        assert.match(out, /^alpha\s+1\s+/m);
        await kubectlOk(bin!, args, [
          'create',
          'configmap',
          `v${minor}`,
          '-n',
          'shop',
          '--from-literal=a=b',
        ]);
        await kubectlOk(bin!, args, ['apply', '--server-side', '-f', '-'], {
          input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v${minor}-ssa\n  namespace: shop\ndata:\n  a: b\n`,
        });
        await kubectlOk(bin!, args, [
          'scale',
          'deploy',
          'web',
          '-n',
          'shop',
          `--replicas=${minor % 5}`,
        ]);
        await kubectlOk(bin!, args, [
          'delete',
          'configmap',
          `v${minor}`,
          `v${minor}-ssa`,
          '-n',
          'shop',
        ]);
      },
    );
  }
});
