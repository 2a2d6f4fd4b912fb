import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl } from './support/kubectl.ts';
import { missingRoot } from './support/requirements.ts';
import { until } from './support/until.ts';

// Service accounts as pods and people meet them, through kubectl: the ServiceAccount
// admission gives every pod a token bound to it, the cluster CA and its namespace at
// /var/run/secrets/kubernetes.io/serviceaccount; the token is a JWT the API server
// accepts until the pod is gone; `kubectl create token` tokens outlive a restart; and
// wrong requests get Kubernetes' answers.

type Json = Record<string, any>;
/** `kubectl create token <account>` bound to a pod. */
const tokenBoundTo = (account: string, pod: string) => [
  ...['create', 'token', account],
  ...['--bound-object-kind', 'Pod', '--bound-object-name', pod],
];
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** kubectl against `cluster`, and the same asserting success (its stdout). */
function kubectlOn(cluster: () => TestCluster) {
  const run = (args: string[], input?: string) =>
    kubectl(KUBECTL, cluster().kubectlArgs, args, {
      ...(input ? { input } : {}),
      timeoutMs: 60_000,
    });
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  return { run, ok };
}

describe('service accounts', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const { run, ok } = kubectlOn(() => cluster);
  const whoami = (token: string) =>
    run(['--token', token, 'auth', 'whoami', '-o', 'json']).then((r) => ({
      ...r,
      user: r.code === 0 ? (JSON.parse(r.stdout) as Json).status.userInfo : undefined,
    }));
  const pod = (name: string, spec: Json = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
      ...spec,
    },
  });
  const dryRun = async (obj: Json) =>
    JSON.parse(
      await ok(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(obj)),
    ) as Json;

  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('mounts the token volume into every container of a new pod', async () => {
    const created = await dryRun(
      pod('mounted', {
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
        containers: [
          { name: 'a', image: 'busybox', command: ['sleep', '1'] },
          { name: 'b', image: 'busybox', command: ['sleep', '1'] },
        ],
      }),
    );
    assert.equal(created.spec.serviceAccountName, 'default');
    assert.equal(created.spec.serviceAccount, 'default');
    const volumes = created.spec.volumes as Json[];
    assert.equal(volumes.length, 1);
    assert.match(volumes[0]!.name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.deepEqual(
      volumes[0]!.projected.sources.map((s: Json) => Object.keys(s)[0]),
      ['serviceAccountToken', 'configMap', 'downwardAPI'],
    );
    for (const c of [...created.spec.initContainers, ...created.spec.containers]) {
      assert.deepEqual(c.volumeMounts, [
        { name: volumes[0]!.name, readOnly: true, mountPath: SA_DIR },
      ]);
    }
  });

  it('refuses a pod whose service account does not exist', async () => {
    const r = await run(
      ['create', '-f', '-'],
      JSON.stringify(pod('lost', { serviceAccountName: 'missing' })),
    );
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /pods "lost" is forbidden: error looking up service account default\/missing: serviceaccount "missing" not found/,
    );
    assert.equal((await run(['get', 'pod', 'lost'])).code, 1, 'nothing was stored');
  });

  it('mounts nothing when the account or the pod turns automount off', async () => {
    await ok(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'quiet' },
        automountServiceAccountToken: false,
      }),
    );
    const quiet = await dryRun(pod('quiet', { serviceAccountName: 'quiet' }));
    assert.equal(quiet.spec.volumes, undefined);
    assert.equal(quiet.spec.containers[0].volumeMounts, undefined);
    // The pod's own setting wins over its account's, either way.
    const loud = await dryRun(
      pod('loud', { serviceAccountName: 'quiet', automountServiceAccountToken: true }),
    );
    assert.equal(loud.spec.volumes.length, 1);
    const off = await dryRun(pod('off', { automountServiceAccountToken: false }));
    assert.equal(off.spec.volumes, undefined);
  });

  it('gives `kubectl create token` a JWT that still works after the API server restarts', async () => {
    const token = (await ok(['create', 'token', 'default'])).trim();
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Json);
    assert.equal(header!.alg, 'ES256');
    assert.equal(payload!.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.equal(payload!.sub, 'system:serviceaccount:default:default');
    assert.equal(payload!.exp - payload!.iat, 3600);
    const before = await whoami(token);
    assert.equal(before.user?.username, 'system:serviceaccount:default:default');
    assert.deepEqual(before.user?.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:default',
      'system:authenticated',
    ]);

    await cluster.stop();
    cluster = await startTestCluster({ dataDir: cluster.dataDir });
    const afterRestart = await whoami(token);
    assert.equal(afterRestart.user?.username, 'system:serviceaccount:default:default');

    // Deleting the account revokes it; a new account of the same name is another uid.
    await ok(['create', 'serviceaccount', 'brief']);
    const brief = (await ok(['create', 'token', 'brief'])).trim();
    assert.equal((await whoami(brief)).code, 0);
    await ok(['delete', 'serviceaccount', 'brief']);
    await ok(['create', 'serviceaccount', 'brief']);
    const revoked = await whoami(brief);
    assert.notEqual(revoked.code, 0);
    assert.match(revoked.stderr, /Unauthorized/);
  });

  it('keeps tokens for other audiences out of the API, and reviews them for their audience', async () => {
    const token = (await ok(['create', 'token', 'default', '--audience', 'vault'])).trim();
    assert.match((await whoami(token)).stderr, /Unauthorized/);
    // Through the official client: kubectl's client-side validation of a create-only kind
    // falls back to listing CRDs, which wharf does not serve.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfigPath);
    const auth = kc.makeApiClient(k8s.AuthenticationV1Api);
    const review = async (audiences?: string[]) =>
      (
        await auth.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, ...(audiences ? { audiences } : {}) },
          },
        })
      ).status!;
    const forVault = await review(['vault']);
    assert.equal(forVault.authenticated, true);
    assert.deepEqual(forVault.audiences, ['vault']);
    assert.equal(forVault.user?.username, 'system:serviceaccount:default:default');
    const forApi = await review();
    assert.equal(forApi.authenticated ?? false, false);
    assert.match(forApi.error ?? '', /invalid bearer token/);
  });

  it('answers wrong token requests as Kubernetes does', async () => {
    const short = await run(['create', 'token', 'default', '--duration', '5m']);
    assert.match(
      short.stderr,
      /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/,
    );
    const nowhere = await run(tokenBoundTo('default', 'nowhere'));
    assert.match(nowhere.stderr, /pods "nowhere" not found/);
    const missing = await run(['create', 'token', 'nobody']);
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);

    await ok(['create', 'serviceaccount', 'other']);
    await ok(['create', '-f', '-'], JSON.stringify(pod('holder')));
    const wrongAccount = await run(tokenBoundTo('other', 'holder'));
    assert.match(
      wrongAccount.stderr,
      /cannot bind token for serviceaccount "other" to pod running with different serviceaccount name/,
    );
    const wrongUid = await run([
      ...tokenBoundTo('default', 'holder'),
      ...['--bound-object-uid', '00000000-0000-0000-0000-000000000000'],
    ]);
    assert.match(wrongUid.stderr, /the UID in the bound object reference .* does not match/);

    // A token bound to the pod dies with it.
    const bound = (await ok(tokenBoundTo('default', 'holder'))).trim();
    const user = (await whoami(bound)).user;
    assert.equal(user?.extra['authentication.kubernetes.io/pod-name']?.[0], 'holder');
    // No node runs it: the pod goes at once, and with it the token.
    await ok(['delete', 'pod', 'holder', '--grace-period=0', '--force']);
    await until('the pod-bound token is refused', async () =>
      (await whoami(bound)).code !== 0 ? true : undefined,
    );
  });
});

describe(
  "a pod's own service account token, on the process runtime",
  {
    skip: missingRoot('a mount namespace for the token volume'),
    timeout: 300_000,
  },
  () => {
    let cluster: TestCluster;
    const node = 'tokens-process';
    const { run, ok } = kubectlOn(() => cluster);

    before(async () => {
      cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: node } });
    });
    after(async () => {
      await run(['delete', 'pods', '--all', '--grace-period=1']);
      await cluster?.close();
    });

    it('reads its token, the cluster CA and its namespace, and the token is its identity', async () => {
      await ok(['create', 'namespace', 'team']);
      await until('the namespace has its default service account', async () =>
        (await run(['get', 'sa', 'default', '-n', 'team'])).code === 0 ? true : undefined,
      );
      await ok(
        ['create', '-n', 'team', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'reader' },
          spec: {
            nodeName: node,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }],
          },
        }),
      );
      await ok(['wait', '-n', 'team', '--for=condition=Ready', 'pod/reader', '--timeout=60s']);
      const read = (file: string) =>
        ok(['exec', '-n', 'team', 'reader', '--', 'cat', `${SA_DIR}/${file}`]);
      assert.equal(await read('namespace'), 'team');
      assert.equal(await read('ca.crt'), cluster.caPem);
      const token = await read('token');
      const r = await run(['--token', token, 'auth', 'whoami', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const user = (JSON.parse(r.stdout) as Json).status.userInfo;
      assert.equal(user.username, 'system:serviceaccount:team:default');
      assert.deepEqual(user.extra['authentication.kubernetes.io/pod-name'], ['reader']);
      assert.deepEqual(user.extra['authentication.kubernetes.io/node-name'], [node]);
      // The volume is read-only in the container.
      const write = await run([
        'exec',
        '-n',
        'team',
        'reader',
        '--',
        'sh',
        '-c',
        `echo x > ${SA_DIR}/x`,
      ]);
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /Read-only file system/);
    });
  },
);
