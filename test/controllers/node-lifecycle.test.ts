import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InformerFactory,
  isNotFound,
  microTime,
  RestClient,
  type Logger,
  type ResourceRef,
} from '../../src/client/index.ts';
import {
  NodeLifecycleController,
  TaintEvictionController,
} from '../../src/controllers/node-lifecycle/index.ts';
import { PodGCController } from '../../src/controllers/pod-gc/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { untilTruthy } from '../support/until.ts';

// Nodes that fail, through the real kubectl. No agent runs: the test registers Nodes as API
// objects and, as a fake agent would, renews their Leases every second and posts their
// Ready condition. The node lifecycle, taint eviction and pod GC controllers run in the
// test against the cluster with short timings (grace period 3 s, pods tolerating the
// node taints for 2 s, orphan quarantine 2 s).

type Json = Record<string, any>;

const WAIT_MS = 60_000;
const NS = 'lifecycle';
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
};
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe(
  'node lifecycle, taint eviction and pod GC against a real API server',
  { timeout: 300_000 },
  () => {
    let cluster: TestCluster;
    let client: RestClient;
    let factory: InformerFactory;
    const stop = new AbortController();
    const running: Promise<void>[] = [];
    /** Nodes whose fake agent renews the Lease. */
    const alive = new Set<string>();
    let heartbeat: NodeJS.Timeout | undefined;

    const k = (...args: string[]) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });
    const json = async (...args: string[]): Promise<Json> =>
      JSON.parse(await k(...args, '-o', 'json'));
    const create = (obj: Json) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
        input: JSON.stringify(obj),
        timeoutMs: WAIT_MS,
      });

    /** Polls `check` every 250 ms until it answers something truthy; fails after 60 s. */
    const until = <T>(what: string, check: () => Promise<T>) =>
      untilTruthy(what, check, { timeoutMs: WAIT_MS, intervalMs: 250 });

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
        await client.create(LEASES, 'kube-node-lease', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease' },
          spec,
        });
      }
    }

    /** What an agent posts: its conditions, all fine, with a fresh heartbeat. */
    async function postReady(name: string): Promise<void> {
      const now = seconds(Date.now());
      const fine = (type: string, reason: string, message: string) => ({
        type,
        status: 'False',
        reason,
        message,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      });
      const conditions = [
        fine(
          'MemoryPressure',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        fine('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        fine('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ];
      await client.patch(NODES, '', name, { status: { conditions } }, 'merge', {
        subresource: 'status',
      });
    }

    async function registerNode(name: string): Promise<void> {
      await client.create(NODES, '', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
          },
        },
        spec: {},
      });
      await postReady(name);
      await renewLease(name);
      alive.add(name);
    }

    /** A pod bound to `nodeName` (no scheduler involved), reported Running and Ready. */
    async function boundPod(name: string, nodeName: string, tolerations?: Json[]): Promise<void> {
      await create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS },
        spec: {
          nodeName,
          containers: [{ name: 'main', image: 'busybox:1.36' }],
          ...(tolerations ? { tolerations } : {}),
        },
      });
      const now = seconds(Date.now());
      await client.patch(
        PODS,
        NS,
        name,
        {
          status: {
            phase: 'Running',
            conditions: [
              { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            ],
          },
        },
        'merge',
        { subresource: 'status' },
      );
    }

    const nodeStatus = async (name: string) => {
      const line = (await k('get', 'nodes', name))
        .split('\n')
        .find((l) => l.startsWith(`${name} `));
      return line?.trim().split(/\s+/)[1];
    };
    const nodeTaints = async (name: string): Promise<Json[]> =>
      (await json('get', 'node', name)).spec.taints ?? [];

    before(async () => {
      cluster = await startTestCluster();
      client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
      factory = new InformerFactory(client, { logger: quiet });
      const lifecycle = new NodeLifecycleController(client, undefined, factory, quiet, {
        nodeMonitorGracePeriodSeconds: 3,
        nodeMonitorPeriodSeconds: 0.5,
      });
      const eviction = new TaintEvictionController(client, undefined, factory, quiet);
      const podGC = new PodGCController(client, undefined, factory, quiet, {
        gcCheckPeriodSeconds: 1,
        quarantineSeconds: 2,
      });
      factory.start(stop.signal);
      running.push(lifecycle.run(stop.signal), eviction.run(stop.signal), podGC.run(stop.signal));
      heartbeat = setInterval(() => {
        for (const name of alive) void renewLease(name).catch(() => {});
      }, 500);
      await k('create', 'namespace', NS);
    });

    after(async () => {
      clearInterval(heartbeat);
      stop.abort();
      await Promise.all(running);
      await factory?.stop();
      client?.close();
      await cluster?.close();
    });

    it('gives pods made by `kubectl run` the two default tolerations of 300 s', async () => {
      // Before any node exists, so the pod stays unscheduled and goes at once when deleted.
      await k('run', 'tolerant', '-n', NS, '--image=busybox:1.36', '--restart=Never');
      const pod = await json('get', 'pod', 'tolerant', '-n', NS);
      assert.deepEqual(pod.spec.tolerations, [
        { key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ]);
      await k('delete', 'pod', 'tolerant', '-n', NS);
    });

    it('marks a node whose lease stops NotReady and unreachable, and evicts its pods after their toleration', async () => {
      await registerNode('steady');
      await registerNode('flaky');
      const brief = [UNREACHABLE, NOT_READY].map((key) => ({
        key,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 2,
      }));
      await boundPod('brief', 'flaky', brief);
      await boundPod('forever', 'flaky', [
        { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
      ]);
      await until('flaky Ready with its beta labels', async () => {
        const node = await json('get', 'node', 'flaky');
        return (
          (await nodeStatus('flaky')) === 'Ready' &&
          node.metadata.labels['beta.kubernetes.io/os'] === 'linux'
        );
      });

      alive.delete('flaky');
      await until(
        'flaky NotReady in kubectl get nodes',
        async () => (await nodeStatus('flaky')) === 'NotReady',
      );
      assert.equal(await nodeStatus('steady'), 'Ready');
      // Read the taint and the description in one poll: on a loaded machine `steady` can miss
      // a heartbeat too, and with every node unhealthy the controller rightly lifts the
      // NoExecute taints (full disruption) until `steady` renews again.
      const { description, noExecute } = await until(
        'both unreachable taints in kubectl describe node',
        async () => {
          const out = await k('describe', 'node', 'flaky');
          const taint = (await nodeTaints('flaky')).find(
            (t) => t.key === UNREACHABLE && t.effect === 'NoExecute',
          );
          return out.includes(`${UNREACHABLE}:NoExecute`) &&
            out.includes(`${UNREACHABLE}:NoSchedule`) &&
            taint
            ? { description: out, noExecute: taint }
            : undefined;
        },
      );
      assert.match(
        description,
        /Ready\s+Unknown\s.*NodeStatusUnknown\s+Kubelet stopped posting node status\./,
      );
      assert.match(description, /MemoryPressure\s+Unknown\s/);
      assert.ok(noExecute.timeAdded, 'the NoExecute taint carries timeAdded');

      // `brief` tolerates the taint for 2 s, then is deleted (and stays Terminating: no agent
      // is there to finish it); `forever` stays.
      const evicted = await until('brief being deleted', async () => {
        const pod = await json('get', 'pod', 'brief', '-n', NS);
        return pod.metadata.deletionTimestamp ? pod : undefined;
      });
      const deletedAt =
        Date.parse(evicted.metadata.deletionTimestamp) -
        evicted.metadata.deletionGracePeriodSeconds * 1000;
      assert.ok(
        deletedAt - Date.parse(noExecute.timeAdded) >= 1000,
        `deleted ${deletedAt - Date.parse(noExecute.timeAdded)} ms after the taint, not after 2 s`,
      );
      const conditions = Object.fromEntries(
        evicted.status.conditions.map((c: Json) => [c.type, c]),
      );
      assert.equal(conditions.Ready.status, 'False', 'marked not Ready when its node went Unknown');
      assert.equal(conditions.DisruptionTarget.reason, 'DeletionByTaintManager');
      const events = (await json('get', 'events', '-n', NS)).items as Json[];
      assert.ok(
        events.some(
          (e) =>
            e.involvedObject.name === 'brief' &&
            e.reason === 'TaintManagerEviction' &&
            e.message === `Marking for deletion Pod ${NS}/brief`,
        ),
        'a TaintManagerEviction event',
      );
      assert.ok(
        events.some((e) => e.involvedObject.name === 'forever' && e.reason === 'NodeNotReady'),
        'a NodeNotReady event on the pods of the node',
      );
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(
        (await json('get', 'pod', 'forever', '-n', NS)).metadata.deletionTimestamp,
        undefined,
      );
      assert.match(await k('get', 'pod', 'brief', '-n', NS), /Terminating/);
    });

    it('lifts the taints when the node renews its lease and posts Ready again', async () => {
      alive.add('flaky');
      await renewLease('flaky');
      await postReady('flaky');
      await until('flaky Ready again', async () => (await nodeStatus('flaky')) === 'Ready');
      await until('no taints left on flaky', async () => (await nodeTaints('flaky')).length === 0);
      assert.match(await k('describe', 'node', 'flaky'), /Taints:\s+<none>/);
      assert.equal(
        (await json('get', 'pod', 'forever', '-n', NS)).metadata.deletionTimestamp,
        undefined,
      );
    });

    it('garbage-collects the pods of a deleted node, Terminating ones included', async () => {
      await registerNode('doomed');
      await boundPod('orphan', 'doomed');
      alive.delete('doomed');
      alive.delete('flaky');
      await k('delete', 'node', 'doomed', 'flaky');
      for (const name of ['orphan', 'brief', 'forever']) {
        await until(`pod ${name} gone`, async () => {
          const r = await kubectl(KUBECTL, cluster.kubectlArgs, ['get', 'pod', name, '-n', NS]);
          return r.code !== 0 && /NotFound|not found/.test(r.stderr);
        });
      }
    });
  },
);
