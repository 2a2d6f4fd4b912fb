import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import {
  InformerFactory,
  isNotFound,
  LEASES,
  microTime,
  RestClient,
  stderrLogger,
  type ResourceRef,
} from '../../src/client/index.ts';
import * as controllers from '../../src/controllers/index.ts';
import { DaemonSetController } from '../../src/controllers/daemonset/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';
import { untilTruthy } from '../support/until.ts';

// DaemonSets through the real kubectl, on one real node (`ds-node`, whose agent runs pods
// as host processes) and three Node objects without an agent. Pods on those stay Pending:
// for them the test asserts where they were scheduled. For the rolling update the test
// plays their kubelet (marks the pods ready and completes their deletions), so that a
// rollout over three nodes can be watched replacing one pod at a time. Until the
// controller manager runs the DaemonSet controller, the test runs it itself.

type Json = Record<string, any>;

const WAIT_MS = 60_000;
const REAL = 'ds-node';
const FAKE = ['ds-fake-a', 'ds-fake-b', 'ds-fake-c'];
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const registered = 'DaemonSetController' in controllers;
// `$$` is how a command escapes `$` from Kubernetes' $(VAR) expansion.
const LOOP = 'echo pid $$$$; while true; do sleep 1; done';

const daemonSet = (name: string, nodeSelector: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        nodeSelector,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', LOOP],
          },
        ],
      },
    },
  },
});

/** A Node with room and Ready=True, which no agent serves. */
const fakeNode = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
  status: {
    capacity: { cpu: '4', memory: '8Gi', pods: '110' },
    allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }],
  },
});

const ready = (p: Json) =>
  p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True') === true;
const live = (p: Json) => !p.metadata.deletionTimestamp;

describe(
  'DaemonSet controller',
  { skip: missingCommand('busybox', 'apt-get install busybox-static'), timeout: 600_000 },
  () => {
    let cluster: TestCluster;
    let client: RestClient;
    let factory: InformerFactory | undefined;
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    let running: Promise<unknown> = Promise.resolve();
    let kubelet: Promise<void> = Promise.resolve();

    const k = (...args: string[]) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS + 15_000 });
    const json = async (...args: string[]): Promise<Json> =>
      JSON.parse(await k(...args, '-o', 'json'));
    const podsOf = async (app: string): Promise<Json[]> =>
      (await json('get', 'pods', '-l', `app=${app}`)).items;
    const status = async (name: string): Promise<Json> => (await json('get', 'ds', name)).status;
    const create = (obj: Json) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
        input: JSON.stringify(obj),
        timeoutMs: WAIT_MS,
      });
    const rolledOut = async (name: string) =>
      assert.match(
        await k('rollout', 'status', `ds/${name}`, '--timeout=60s'),
        new RegExp(`daemon set "${name}" successfully rolled out`),
      );

    /** Polls `check` every 250 ms until it answers something truthy; fails after 60 s. */
    const until = <T>(what: string, check: () => Promise<T>) =>
      untilTruthy(what, check, { timeoutMs: WAIT_MS, intervalMs: 250 });

    /** Waits until the live pods of `app` sit one per node on exactly `nodes`. */
    const placed = (app: string, nodes: string[]) =>
      until(`${app} pods on ${nodes.join(', ')}`, async () => {
        const pods = (await podsOf(app)).filter(live);
        const on = pods.map((p) => p.spec.nodeName ?? '').sort();
        return JSON.stringify(on) === JSON.stringify([...nodes].sort()) ? pods : undefined;
      });

    /**
     * The kubelet of the agentless nodes, until the test ends: renews their Leases,
     * completes deletions of their pods and, for the pods of `app=roll`, reports them
     * running and ready. Everything else there stays Pending.
     */
    async function fakeKubelet(signal: AbortSignal): Promise<void> {
      let renewed = 0;
      while (!signal.aborted) {
        try {
          if (Date.now() - renewed > 5_000) {
            renewed = Date.now();
            for (const name of FAKE) await renewLease(name);
          }
          for (const pod of (await client.list(PODS, 'default')).items) {
            const spec = pod.spec as Json;
            if (!FAKE.includes(spec.nodeName)) continue;
            const name = pod.metadata!.name!;
            if (pod.metadata?.deletionTimestamp) {
              await client.delete(PODS, 'default', name, { gracePeriodSeconds: 0 }).catch(() => {});
            } else if (pod.metadata?.labels?.app === 'roll' && !ready(pod)) {
              const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
              const body = {
                ...pod,
                status: {
                  phase: 'Running',
                  conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
                },
              };
              await client
                .update(PODS, 'default', name, body, { subresource: 'status' })
                .catch(() => {});
            }
          }
        } catch (err) {
          if (!signal.aborted) stderrLogger.warn({ err }, 'fake kubelet pass failed');
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    async function renewLease(name: string): Promise<void> {
      const spec = {
        holderIdentity: name,
        leaseDurationSeconds: 40,
        renewTime: microTime(Date.now()),
      };
      try {
        await client.patch(LEASES, 'kube-node-lease', name, { spec }, 'merge');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const metadata = { name, namespace: 'kube-node-lease' };
        await client.create(LEASES, 'kube-node-lease', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata,
          spec,
        });
      }
    }

    before(async () => {
      cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: REAL } });
      client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
      for (const name of FAKE) await client.create(NODES, '', fakeNode(name));
      kubelet = fakeKubelet(stop.signal);
      if (registered) return;
      factory = new InformerFactory(client, { logger: stderrLogger });
      const dsc = new DaemonSetController(client, undefined, factory, stderrLogger);
      factory.start(stop.signal);
      running = dsc.run(stop.signal);
    });

    after(async () => {
      if (cluster) {
        const run = (...args: string[]) =>
          kubectl(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });
        await run('delete', 'ds', '--all', '--wait=true');
        await until('every pod gone', async () => (await json('get', 'pods')).items.length === 0);
        await run('delete', 'node', ...FAKE);
      }
      stop.abort();
      await Promise.all([running, kubelet]);
      await factory?.stop();
      client?.close();
      await cluster?.close();
    });

    it('puts exactly one pod on each node its nodeSelector matches', async () => {
      await k('label', 'node', REAL, FAKE[0]!, FAKE[1]!, 'role=edge');
      await create(daemonSet('edge', { role: 'edge' }));
      const pods = await placed('edge', [REAL, FAKE[0]!, FAKE[1]!]);
      const byNode = new Map(pods.map((p) => [p.spec.nodeName, p]));
      const onFake = byNode.get(FAKE[0])!;
      assert.deepEqual(
        onFake.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
        {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: [FAKE[0]] }] },
          ],
        },
      );
      assert.match(
        onFake.metadata.labels['controller-revision-hash'],
        /^[bcdfghjklmnpqrstvwxz2456789]+$/,
      );
      assert.equal(onFake.status.phase, 'Pending', 'no agent runs it');
      await until('the pod on the real node running', async () => {
        const p = (await podsOf('edge')).find((x) => x.spec.nodeName === REAL);
        return p?.status.phase === 'Running' && ready(p);
      });
      const table = await until('DESIRED 3 CURRENT 3 READY 1', async () => {
        const out = await k('get', 'ds', 'edge');
        return /^edge\s+3\s+3\s+1\s+3\s+1\s+role=edge\s/m.test(out) ? out : undefined;
      });
      assert.match(
        table,
        /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE/,
      );
      const described = await k('describe', 'ds', 'edge');
      assert.match(
        described,
        /SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: edge-[a-z0-9]{5}/,
      );
      const revisions = (await json('get', 'controllerrevisions', '-l', 'app=edge')).items;
      assert.equal(revisions.length, 1);
      assert.equal(revisions[0].revision, 1);
    });

    it('adds a pod when a node gets the label, and removes it when the node loses it', async () => {
      await k('label', 'node', FAKE[2]!, 'role=edge');
      await placed('edge', [REAL, ...FAKE]);
      await until('desired 4', async () => (await status('edge')).desiredNumberScheduled === 4);
      await k('label', 'node', FAKE[2]!, 'role-');
      await placed('edge', [REAL, FAKE[0]!, FAKE[1]!]);
    });

    it('keeps a running pod on a node tainted NoSchedule and evicts it for NoExecute', async () => {
      const before = (await podsOf('edge')).find((p) => p.spec.nodeName === FAKE[0])!;
      await k('taint', 'node', FAKE[0]!, 'dedicated=db:NoSchedule');
      const s = await until('one misscheduled', async () => {
        const st = await status('edge');
        return st.numberMisscheduled === 1 && st.desiredNumberScheduled === 2 ? st : undefined;
      });
      assert.equal(s.currentNumberScheduled, 2);
      const still = await json('get', 'pod', before.metadata.name);
      assert.equal(still.metadata.deletionTimestamp, undefined, 'NoSchedule does not evict');

      await k('taint', 'node', FAKE[0]!, 'dedicated=db:NoExecute');
      await placed('edge', [REAL, FAKE[1]!]);
      await until('none misscheduled', async () => (await status('edge')).numberMisscheduled === 0);
    });

    it('rolls out to the real node, then replaces pods one at a time on an image update', async () => {
      await k('label', 'node', REAL, FAKE[1]!, FAKE[2]!, 'tier=roll');
      await create(daemonSet('roll', { tier: 'roll' }));
      await rolledOut('roll');
      const nodes = [REAL, FAKE[1]!, FAKE[2]!];
      const first = await placed('roll', nodes);

      // Watch every change to the pods: at no moment may two nodes lack a ready pod.
      const pods = new Map<string, Json>();
      let armed = false;
      let worst = 0;
      const watching = new AbortController();
      const watch = (async () => {
        for await (const ev of client.watch(PODS, 'default', {
          labelSelector: 'app=roll',
          signal: watching.signal,
        })) {
          if (ev.type === 'ERROR' || ev.type === 'BOOKMARK') continue;
          const p = ev.object as Json;
          if (ev.type === 'DELETED') pods.delete(p.metadata.name);
          else pods.set(p.metadata.name, p);
          const serving = new Set(
            [...pods.values()].filter((x) => live(x) && ready(x)).map((x) => x.spec.nodeName),
          );
          if (armed) worst = Math.max(worst, nodes.filter((n) => !serving.has(n)).length);
        }
      })();
      await until('the watch caught up', async () => [...pods.values()].filter(ready).length === 3);
      armed = true;
      await k('set', 'image', 'ds/roll', 'main=busybox:1.37');
      await rolledOut('roll');
      watching.abort();
      await watch;

      const now = (await podsOf('roll')).filter(live);
      assert.deepEqual(now.map((p) => p.spec.nodeName).sort(), [...nodes].sort());
      const oldNames = new Set(first.map((p) => p.metadata.name));
      assert.ok(
        now.every((p) => !oldNames.has(p.metadata.name)),
        'every pod was replaced',
      );
      assert.ok(now.every((p) => p.spec.containers[0].image === 'busybox:1.37'));
      assert.equal(worst, 1, 'one node at a time was without a ready pod');
      const st = await status('roll');
      assert.equal(st.updatedNumberScheduled, 3);
      assert.equal(st.numberAvailable, 3);
      const history = await k('rollout', 'history', 'ds/roll');
      assert.match(history, /^1\s/m);
      assert.match(history, /^2\s/m);

      // Undo puts the first template back, as revision 3.
      await k('rollout', 'undo', 'ds/roll');
      await rolledOut('roll');
      const back = (await podsOf('roll')).filter(live);
      assert.ok(back.every((p) => p.spec.containers[0].image === 'busybox:1.36'));
      const revisions = (await json('get', 'controllerrevisions', '-l', 'app=roll')).items;
      assert.deepEqual(revisions.map((r: Json) => r.revision).sort(), [2, 3]);
    });

    it('kubectl delete ds removes its pods', async () => {
      await k('delete', 'ds', 'edge', 'roll', '--wait=true');
      await until('the pods gone', async () => {
        const pods = (await json('get', 'pods', '-l', 'app in (edge,roll)')).items;
        return pods.length === 0;
      });
      await until(
        'the revisions gone',
        async () => (await json('get', 'controllerrevisions')).items.length === 0,
      );
    });
  },
);
