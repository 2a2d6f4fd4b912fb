import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { until as untilFor } from '../support/until.ts';

// Issue 6's lost node, with real agents: a second node (a real `wharf agent` process)
// dies with SIGKILL; after the node monitor grace period (15 s here: longer than the 10 s lease renewal) it goes Unknown and
// gets the unreachable taint, its pods are evicted once their toleration (2 s) ends, and
// the ReplicationController recreates them on the node that is left. When the agent comes
// back it finishes the evicted pods' deletion, so nothing of them is left on it.

type Json = Record<string, any>;

const WHARF = path.resolve('bin/wharf.mjs');
const WAIT_MS = 90_000;
const until = <T>(what: string, check: () => Promise<T | undefined>) =>
  untilFor(what, check, { timeoutMs: WAIT_MS, intervalMs: 500 });
const LOST = 'lost-node';
const KEPT = 'kept-node';

describe('a lost node: its pods come back on another node', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-lost-'));
  let agent: ChildProcess | undefined;
  let output = '';
  const k = (args: string[], input?: string) =>
    kubectlOk(KUBECTL, cluster.kubectlArgs, args, input ? { input } : {});
  const json = async (...args: string[]): Promise<Json> =>
    JSON.parse(await k([...args, '-o', 'json']));

  function startAgent(): void {
    output = '';
    agent = spawn(
      process.execPath,
      [
        WHARF,
        'agent',
        '--server',
        cluster.url,
        '--token',
        cluster.joinToken,
        '--node-name',
        LOST,
        '--runtime',
        'process',
        '--data-dir',
        dir,
        '--node-ip',
        '127.0.0.1',
        '--port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  }

  const ready = (node: Json) =>
    node.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status;
  const livePods = async () =>
    (await json('get', 'pods', '-l', 'app=survivor')).items.filter(
      (p: Json) => !p.metadata.deletionTimestamp,
    );

  before(async () => {
    cluster = await startTestCluster({
      agent: { runtime: 'process', nodeName: KEPT },
      nodeMonitorGracePeriodSeconds: 15,
    });
    startAgent();
    await until(`node ${LOST} Ready (agent said: ${output})`, async () =>
      ready(await json('get', 'node', LOST)) === 'True' ? true : undefined,
    );
  });

  after(async () => {
    if (cluster) {
      await kubectl(KUBECTL, cluster.kubectlArgs, ['delete', 'rc', 'survivor', '--wait=true']);
      await until('every pod gone', async () =>
        (await json('get', 'pods')).items.length === 0 ? true : undefined,
      ).catch(() => undefined);
    }
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recreates the pods of a node whose agent died, and cleans the node when it returns', async () => {
    const toleration = (key: string) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 2,
    });
    await k(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: { name: 'survivor' },
        spec: {
          replicas: 4,
          selector: { app: 'survivor' },
          template: {
            metadata: { labels: { app: 'survivor' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              tolerations: [
                toleration('node.kubernetes.io/unreachable'),
                toleration('node.kubernetes.io/not-ready'),
              ],
              containers: [
                {
                  name: 'main',
                  image: 'busybox:1.36',
                  imagePullPolicy: 'IfNotPresent',
                  command: ['sh', '-c', 'while true; do sleep 1; done'],
                },
              ],
            },
          },
        },
      }),
    );
    const placed = await until('4 running pods on both nodes', async () => {
      const pods = await livePods();
      const running = pods.filter((p: Json) => p.status?.phase === 'Running');
      const nodes = new Set(running.map((p: Json) => p.spec.nodeName));
      return running.length === 4 && nodes.has(LOST) && nodes.has(KEPT) ? running : undefined;
    });
    const lostPods = placed
      .filter((p: Json) => p.spec.nodeName === LOST)
      .map((p: Json) => p.metadata.name);

    agent!.kill('SIGKILL');
    await new Promise((r) => agent!.once('exit', r));

    // Unknown first; the NoExecute taint follows through the controller's rate-limited queue.
    let seen: Json = {};
    await until(`node ${LOST} Unknown with the unreachable taint`, async () => {
      const n = await json('get', 'node', LOST);
      seen = n;
      const tainted = (n.spec.taints ?? []).some(
        (t: Json) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute',
      );
      return ready(n) === 'Unknown' && tainted ? n : undefined;
    }).catch((err: Error) => {
      throw new Error(
        `${err.message}; last seen: ${JSON.stringify({ spec: seen.spec, conditions: seen.status?.conditions })}`,
      );
    });
    assert.match(await k(['get', 'node', LOST]), new RegExp(`${LOST}\\s+NotReady`));

    await until('4 running pods, all on the node that is left', async () => {
      const pods = await livePods();
      const ok =
        pods.length === 4 &&
        pods.every((p: Json) => p.spec.nodeName === KEPT && p.status?.phase === 'Running');
      return ok ? true : undefined;
    });
    const evicted = (await json('get', 'pods', '-l', 'app=survivor')).items.filter((p: Json) =>
      lostPods.includes(p.metadata.name),
    );
    assert.ok(
      evicted.every((p: Json) => p.metadata.deletionTimestamp),
      'the lost pods wait, Terminating, for their node',
    );

    startAgent();
    await until(`node ${LOST} Ready again`, async () =>
      ready(await json('get', 'node', LOST)) === 'True' ? true : undefined,
    );
    await until('the evicted pods gone once their agent finished them', async () => {
      const left = (await json('get', 'pods', '-l', 'app=survivor')).items;
      return left.some((p: Json) => lostPods.includes(p.metadata.name)) ? undefined : true;
    });
    await until('the unreachable taint gone from the returned node', async () => {
      const n = await json('get', 'node', LOST);
      const tainted = (n.spec.taints ?? []).some(
        (t: Json) => t.key === 'node.kubernetes.io/unreachable',
      );
      return tainted ? undefined : true;
    });
  });
});
