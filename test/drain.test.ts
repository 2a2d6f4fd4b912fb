import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from './support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from './support/kubectl.ts';
import { until } from './support/until.ts';

// Node maintenance through real kubectl: cordon/uncordon, and drain evicting pods through
// the eviction API while the disruption controller keeps PodDisruptionBudgets current.
// There is no scheduler or node agent here: pods are bound by spec.nodeName and made
// Ready by writing their status, and drain deletes with --grace-period=0 because nothing
// would finish a graceful deletion.

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
const READY = '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}';

interface Reply {
  code: number;
  body: Record<string, unknown>;
}

describe('drain, cordon and the eviction API', () => {
  let cluster: TestCluster;
  const k = (...args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const apply = (yaml: string) =>
    kubectlOk(KUBECTL, cluster.kubectlArgs, ['apply', '-f', '-'], { input: yaml });

  /** Polls `check` every 100 ms; fails after `ms` with what it last saw. */
  function post(path: string, body: unknown): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, cluster.url);
      const req = https.request(
        url,
        {
          method: 'POST',
          ca: cluster.caPem,
          headers: {
            Authorization: `Bearer ${cluster.token}`,
            'Content-Type': 'application/json',
          },
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
      req.end(JSON.stringify(body));
    });
  }

  const evict = (ns: string, name: string, deleteOptions?: object) =>
    post(`/api/v1/namespaces/${ns}/pods/${name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: ns },
      ...(deleteOptions ? { deleteOptions } : {}),
    });

  async function node(name: string) {
    await apply(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"${name}"}}`);
  }

  /** A pod bound to `nodeName`, Ready unless told otherwise. */
  async function pod(
    ns: string,
    name: string,
    app: string,
    opts: { nodeName?: string; ready?: boolean } = {},
  ) {
    const spec = {
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }],
    };
    await apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app } },
        spec,
      }),
    );
    const status =
      opts.ready === false
        ? '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}}'
        : READY;
    await k('patch', 'pod', name, '-n', ns, '--subresource=status', '--type=merge', '-p', status);
  }

  async function budget(ns: string, name: string, app: string, spec: object) {
    await apply(
      JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name, namespace: ns },
        spec: { selector: { matchLabels: { app } }, ...spec },
      }),
    );
  }

  async function budgetStatus(ns: string, name: string): Promise<Record<string, unknown>> {
    const out = await k('get', 'pdb', name, '-n', ns, '-o', 'json');
    return (JSON.parse(out) as { status: Record<string, unknown> }).status;
  }

  /** Waits until the controller has written these status fields. */
  async function budgetSettles(ns: string, name: string, want: Record<string, unknown>) {
    return until(
      `${ns}/${name} to have ${JSON.stringify(want)}`,
      async () => {
        const status = await budgetStatus(ns, name);
        return Object.entries(want).every(([f, v]) => status[f] === v) ? status : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
  }

  async function podNames(ns: string): Promise<string[]> {
    const out = await k('get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}');
    return out.split(' ').filter(Boolean).sort();
  }

  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  it('cordons and uncordons a node through spec.unschedulable', async () => {
    await node('maint');
    const unschedulable = () => k('get', 'node', 'maint', '-o', 'jsonpath={.spec.unschedulable}');
    assert.equal((await k('cordon', 'maint')).trim(), 'node/maint cordoned');
    assert.equal(await unschedulable(), 'true');
    assert.equal((await k('cordon', 'maint')).trim(), 'node/maint already cordoned');
    assert.equal((await k('uncordon', 'maint')).trim(), 'node/maint uncordoned');
    assert.equal(await unschedulable(), '');
    assert.equal((await k('uncordon', 'maint')).trim(), 'node/maint already uncordoned');
  });

  it('drains what the budget allows and reports the pod it protects', async () => {
    await k('create', 'namespace', 'shop');
    await node('node-a');
    await node('node-b');
    await pod('shop', 'web-1', 'web', { nodeName: 'node-a' });
    await pod('shop', 'web-2', 'web', { nodeName: 'node-a' });
    await pod('shop', 'web-3', 'web', { nodeName: 'node-b' });
    await pod('shop', 'loner', 'tool', { nodeName: 'node-a' });
    await budget('shop', 'web-pdb', 'web', { minAvailable: 2 });
    const settled = await budgetSettles('shop', 'web-pdb', {
      observedGeneration: 1,
      expectedPods: 3,
      currentHealthy: 3,
      desiredHealthy: 2,
      disruptionsAllowed: 1,
    });
    assert.deepEqual(
      (settled.conditions as { type: string; status: string; reason: string }[]).map((c) => [
        c.type,
        c.status,
        c.reason,
      ]),
      [['DisruptionAllowed', 'True', 'SufficientPods']],
    );

    const drain = await kubectl(
      KUBECTL,
      cluster.kubectlArgs,
      [
        'drain',
        'node-a',
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        '--force',
        '--grace-period=0',
        '--timeout=20s',
      ],
      { timeoutMs: 60_000 },
    );
    assert.notEqual(drain.code, 0, 'the drain cannot finish while the budget holds a pod');
    assert.match(drain.stdout, /^node\/node-a cordoned$/m);
    assert.match(drain.stdout, /^pod\/loner evicted$/m);
    const evicted = [...drain.stdout.matchAll(/^pod\/(web-\d) evicted$/gm)].map((m) => m[1]);
    assert.equal(evicted.length, 1, drain.stdout);
    const kept = evicted[0] === 'web-1' ? 'web-2' : 'web-1';
    assert.match(
      drain.stderr,
      new RegExp(
        `error when evicting pods/"${kept}" -n "shop" \\(will retry after 5s\\): ${VIOLATION.replace(/[.()']/g, '\\$&')}`,
      ),
    );
    assert.match(drain.stderr, /global timeout reached: 20s/);
    assert.deepEqual(await podNames('shop'), [kept, 'web-3']);
    assert.equal(await k('get', 'node', 'node-a', '-o', 'jsonpath={.spec.unschedulable}'), 'true');

    await budgetSettles('shop', 'web-pdb', {
      expectedPods: 2,
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });
    // What drain saw, in full.
    const refused = await evict('shop', kept);
    assert.equal(refused.code, 429);
    assert.deepEqual(refused.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: VIOLATION,
      reason: 'TooManyRequests',
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently',
          },
        ],
      },
      code: 429,
    });

    // Another replica becomes Ready elsewhere: the budget allows one disruption again.
    await pod('shop', 'web-4', 'web', { nodeName: 'node-b' });
    await budgetSettles('shop', 'web-pdb', { currentHealthy: 3, disruptionsAllowed: 1 });
    const again = await kubectl(
      KUBECTL,
      cluster.kubectlArgs,
      ['drain', 'node-a', '--ignore-daemonsets', '--force', '--grace-period=0', '--timeout=20s'],
      { timeoutMs: 60_000 },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^pod/${kept} evicted$`, 'm'));
    assert.match(again.stdout, /^node\/node-a drained$/m);
    assert.deepEqual(await podNames('shop'), ['web-3', 'web-4']);
  });

  it('answers the eviction API as Kubernetes does', async () => {
    await k('create', 'namespace', 'evict');
    await node('node-c');

    // No budget: the pod is deleted, with the given DeleteOptions.
    await pod('evict', 'free', 'free', { nodeName: 'node-c' });
    const freed = await evict('evict', 'free', { gracePeriodSeconds: 0 });
    assert.equal(freed.code, 201);
    assert.deepEqual(freed.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
    assert.deepEqual(await podNames('evict'), []);

    // The name in the body must be the pod's.
    await pod('evict', 'named', 'free', { nodeName: 'node-c' });
    const misnamed = await post('/api/v1/namespaces/evict/pods/named/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'other' },
    });
    assert.equal(misnamed.code, 400);
    assert.equal(misnamed.body.message, 'name in URL does not match name in Eviction object');

    // Without gracePeriodSeconds a pod on a node is deleted gracefully, marked as
    // disrupted by the eviction API; evicting it again deletes it without a budget check.
    const graceful = await evict('evict', 'named');
    assert.equal(graceful.code, 201);
    const marked = JSON.parse(await k('get', 'pod', 'named', '-n', 'evict', '-o', 'json')) as {
      metadata: { deletionTimestamp?: string };
      status: { conditions: { type: string; status: string; reason?: string }[] };
    };
    assert.ok(marked.metadata.deletionTimestamp, 'being deleted');
    assert.deepEqual(
      marked.status.conditions
        .filter((c) => c.type === 'DisruptionTarget')
        .map((c) => [c.status, c.reason]),
      [['True', 'EvictionByEvictionAPI']],
    );
    await budget('evict', 'all', 'free', { maxUnavailable: 0 });
    assert.equal((await evict('evict', 'named', { gracePeriodSeconds: 0 })).code, 201);
    assert.deepEqual(await podNames('evict'), []);

    // Two budgets over one pod.
    await pod('evict', 'twice', 'two', { nodeName: 'node-c' });
    await budget('evict', 'two-a', 'two', { minAvailable: 0 });
    await budget('evict', 'two-b', 'two', { maxUnavailable: 1 });
    const doubled = await evict('evict', 'twice');
    assert.equal(doubled.code, 500);
    assert.deepEqual(doubled.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    });

    // Pending pods have not started: deleted whatever the budget says (maxUnavailable 0).
    await apply(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"waiting","namespace":"evict","labels":{"app":"free"}},"spec":{"containers":[{"name":"c","image":"x"}]}}',
    );
    assert.equal((await evict('evict', 'waiting', { gracePeriodSeconds: 0 })).code, 201);
    assert.ok(!(await podNames('evict')).includes('waiting'));
  });

  it('lets unhealthy pods go by the unhealthyPodEvictionPolicy', async () => {
    await k('create', 'namespace', 'sick');
    await node('node-d');
    // IfHealthyBudget (the default): an unready pod may go while the application is
    // healthy without it, and not while it is disrupted.
    await pod('sick', 'ok-1', 'ok', { nodeName: 'node-d' });
    await pod('sick', 'ok-2', 'ok', { nodeName: 'node-d' });
    await pod('sick', 'ok-bad', 'ok', { nodeName: 'node-d', ready: false });
    await budget('sick', 'ok', 'ok', { minAvailable: 2 });
    await budgetSettles('sick', 'ok', {
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
    });
    assert.equal((await evict('sick', 'ok-bad', { gracePeriodSeconds: 0 })).code, 201);

    await pod('sick', 'down-1', 'down', { nodeName: 'node-d' });
    await pod('sick', 'down-bad', 'down', { nodeName: 'node-d', ready: false });
    await budget('sick', 'down', 'down', { minAvailable: 2 });
    await budgetSettles('sick', 'down', { currentHealthy: 1, desiredHealthy: 2 });
    const refused = await evict('sick', 'down-bad', { gracePeriodSeconds: 0 });
    assert.equal(refused.code, 429);
    assert.deepEqual((refused.body.details as { causes: unknown[] }).causes, [
      {
        reason: 'DisruptionBudget',
        message: 'The disruption budget down needs 2 healthy pods and has 1 currently',
      },
    ]);

    // AlwaysAllow: unready pods go even then.
    await budget('sick', 'down', 'down', {
      minAvailable: 2,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    assert.equal((await evict('sick', 'down-bad', { gracePeriodSeconds: 0 })).code, 201);
    assert.deepEqual(await podNames('sick'), ['down-1', 'ok-1', 'ok-2']);
  });
});
