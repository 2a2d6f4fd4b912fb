import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';
import { untilTruthy } from '../support/until.ts';

// The classic ReplicationController tutorial, and a ReplicaSet with matchExpressions,
// through the real kubectl against a cluster whose node agent runs pods as host processes.

type Json = Record<string, any>;

const WAIT_MS = 60_000;
// `$$` is how a command escapes `$` from Kubernetes' $(VAR) expansion: sh sees `$$`.
const LOOP = 'echo pid $$$$; while true; do sleep 1; done';

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: {
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
});

describe(
  'ReplicationController and ReplicaSet controllers on the process runtime',
  { skip: missingCommand('busybox', 'apt-get install busybox-static'), timeout: 600_000 },
  () => {
    let cluster: TestCluster;

    const k = (...args: string[]) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, args, { timeoutMs: WAIT_MS });
    const create = (obj: Json) =>
      kubectlOk(KUBECTL, cluster.kubectlArgs, ['create', '-f', '-'], {
        input: JSON.stringify(obj),
        timeoutMs: WAIT_MS,
      });
    const json = async (...args: string[]): Promise<Json> =>
      JSON.parse(await k(...args, '-o', 'json'));
    const pods = async (selector: string): Promise<Json[]> =>
      (await json('get', 'pods', '-l', selector)).items;
    const active = (p: Json) =>
      !p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase);
    const ready = (p: Json) =>
      p.status?.phase === 'Running' &&
      p.status.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True');
    const controllerUid = (p: Json) =>
      p.metadata.ownerReferences?.find((r: Json) => r.controller)?.uid as string | undefined;

    /** Polls `check` every 250 ms until it answers something truthy; fails after 60 s. */
    const until = <T>(what: string, check: () => Promise<T>) =>
      untilTruthy(what, check, { timeoutMs: WAIT_MS, intervalMs: 250 });

    /** Waits for exactly `n` active pods of `selector`, all ready and controlled by `uid`. */
    const readyPods = (selector: string, n: number, uid: string) =>
      until(`${n} ready pods of ${selector}`, async () => {
        const live = (await pods(selector)).filter(active);
        const ok = live.length === n && live.every((p) => ready(p) && controllerUid(p) === uid);
        return ok ? live : undefined;
      });

    before(async () => {
      cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: 'rs-node' } });
    });

    after(async () => {
      if (cluster) {
        await kubectl(KUBECTL, cluster.kubectlArgs, ['delete', 'rc,rs', '--all', '--wait=true'], {
          timeoutMs: WAIT_MS,
        });
        await kubectl(
          KUBECTL,
          cluster.kubectlArgs,
          ['delete', 'pods', '--all', '--grace-period=1', '--wait=true'],
          { timeoutMs: WAIT_MS },
        );
        await until('every pod gone', async () => (await json('get', 'pods')).items.length === 0);
      }
      await cluster?.close();
    });

    let rcUid: string;

    it('runs a ReplicationController created from JSON, and scales it to 3', async () => {
      await create({
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: { name: 'nginx' },
        spec: { replicas: 1, selector: { app: 'nginx' }, template: template({ app: 'nginx' }) },
      });
      rcUid = (await json('get', 'rc', 'nginx')).metadata.uid;
      const [first] = await readyPods('app=nginx', 1, rcUid);
      assert.match(first!.metadata.name, /^nginx-[a-z0-9]{5}$/);
      assert.deepEqual(first!.metadata.ownerReferences, [
        {
          apiVersion: 'v1',
          kind: 'ReplicationController',
          name: 'nginx',
          uid: rcUid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);

      assert.match(await k('scale', 'rc', 'nginx', '--replicas=3'), /scaled/);
      await readyPods('app=nginx', 3, rcUid);
      const table = await until('DESIRED 3, CURRENT 3, READY 3', async () => {
        const out = await k('get', 'rc', 'nginx');
        return /^nginx\s+3\s+3\s+3\s/m.test(out) ? out : undefined;
      });
      assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE/);
      const rc = await json('get', 'rc', 'nginx');
      assert.equal(rc.status.observedGeneration, rc.metadata.generation);
      assert.equal(rc.status.fullyLabeledReplicas, 3);
      assert.equal(rc.status.availableReplicas, 3);
    });

    it('keeps 3 when a pod process is killed (restarted) and when a pod is deleted (replaced)', async () => {
      const before = (await pods('app=nginx')).filter(active).map((p) => p.metadata.name);
      const victim = before[0];
      const logs = await k('logs', victim);
      const pid = Number(/pid (\d+)/.exec(logs)?.[1]);
      assert.ok(pid > 1, `the container printed its pid: ${JSON.stringify(logs)}`);
      process.kill(pid, 'SIGKILL');
      await until(`${victim} restarted`, async () => {
        const p = await json('get', 'pod', victim);
        return p.status.containerStatuses?.[0]?.restartCount >= 1 && ready(p);
      });
      const afterKill = await readyPods('app=nginx', 3, rcUid);
      assert.deepEqual(afterKill.map((p) => p.metadata.name).sort(), [...before].sort());

      await k('delete', 'pod', victim, '--wait=false');
      const replaced = await until('a replacement pod', async () => {
        const live = (await pods('app=nginx')).filter(active);
        const names = live.map((p: Json) => p.metadata.name);
        return live.length === 3 && !names.includes(victim) && live.every(ready) ? names : null;
      });
      assert.equal(replaced.filter((n: string) => before.includes(n)).length, 2);
      const described = await k('describe', 'rc', 'nginx');
      assert.match(
        described,
        /SuccessfulCreate\s+\S+\s+replication-controller\s+Created pod: nginx-/,
      );
    });

    it('releases a pod whose labels no longer match, and makes another', async () => {
      const [chosen] = (await pods('app=nginx')).filter(active);
      const name = chosen!.metadata.name;
      await k('label', 'pod', name, 'app-');
      const released = await until('the pod released', async () => {
        const p = await json('get', 'pod', name);
        return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
      });
      assert.equal(released.metadata.labels?.app, undefined);
      const owned = await readyPods('app=nginx', 3, rcUid);
      assert.ok(!owned.some((p) => p.metadata.name === name));
      await k('delete', 'pod', name, '--grace-period=1');
    });

    it('deletes 2 pods when scaled down to 1', async () => {
      await k('scale', 'rc', 'nginx', '--replicas=1');
      await readyPods('app=nginx', 1, rcUid);
      await until('status.replicas 1', async () => {
        const rc = await json('get', 'rc', 'nginx');
        return rc.status.replicas === 1 && rc.status.readyReplicas === 1;
      });
      const described = await k('describe', 'rc', 'nginx');
      assert.match(
        described,
        /SuccessfulDelete\s+\S+\s+replication-controller\s+Deleted pod: nginx-/,
      );
    });

    it('runs a ReplicaSet selecting by matchExpressions, adopting a matching orphan', async () => {
      await create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'frontend-orphan', labels: { tier: 'frontend', env: 'staging' } },
        spec: template({}).spec,
      });
      await until('the orphan running', async () =>
        ready(await json('get', 'pod', 'frontend-orphan')),
      );
      await create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'frontend' },
        spec: {
          replicas: 2,
          selector: {
            matchLabels: { tier: 'frontend' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }],
          },
          template: template({ tier: 'frontend', env: 'prod' }),
        },
      });
      const uid = (await json('get', 'rs', 'frontend')).metadata.uid;
      const live = await readyPods('tier=frontend', 2, uid);
      assert.ok(
        live.some((p) => p.metadata.name === 'frontend-orphan'),
        'the orphan was adopted',
      );
      const table = await until('DESIRED 2, CURRENT 2, READY 2', async () => {
        const out = await k('get', 'rs', 'frontend');
        return /^frontend\s+2\s+2\s+2\s/m.test(out) ? out : undefined;
      });
      assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE/);
      const rs = await json('get', 'rs', 'frontend');
      assert.equal(rs.status.fullyLabeledReplicas, 1, 'the orphan lacks env=prod');
    });
  },
);
