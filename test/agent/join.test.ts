import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl, kubectlOk } from '../support/kubectl.ts';
import { until as untilFor } from '../support/until.ts';

// A second machine joins: a real `wharf agent` process with the join token the control
// plane prints, its Node, a pod pinned to it, and `kubectl logs` and `exec` reaching that
// pod through the API server, which presents the same secret to the agent. The agent runs
// on this machine with its own data dir, as a second machine would.

const WHARF = path.resolve('bin/wharf.mjs');
const WAIT_MS = 60_000;
const until = <T>(what: string, check: () => Promise<T | undefined>) =>
  untilFor(what, check, { timeoutMs: WAIT_MS });
const NODE = 'second-node';
const POD = 'on-second';

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function wharf(args: string[]): Running {
  const child = spawn(process.execPath, [WHARF, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** The exit code, or a failure naming the output when the process outlives WAIT_MS. */
async function exitCode(run: Running): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${WAIT_MS / 1000} s:\n${run.output()}`)),
      WAIT_MS,
    );
  });
  try {
    return await Promise.race([run.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForOutput(run: Running, re: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const m = re.exec(run.output());
    if (m) return m;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`did not see ${re} in:\n${run.output()}`);
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const SERVICE_CIDR = '10.100.0.0/16';

describe('wharf agent: another machine joins with the join token', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-join-'));
  const agents: Running[] = [];
  const k = (args: string[]) => kubectlOk(KUBECTL, cluster.kubectlArgs, args);
  const agentArgs = (token: string, dataDir: string) => [
    'agent',
    '--server',
    cluster.url,
    '--token',
    token,
    '--node-name',
    NODE,
    '--runtime',
    'process',
    '--data-dir',
    dataDir,
    '--node-ip',
    '127.0.0.1',
    '--port',
    '0',
  ];

  before(async () => {
    // Not the default range: the joining agent, given none, must take the cluster's.
    cluster = await startTestCluster({
      agent: { runtime: 'process', nodeName: 'main-node' },
      serviceCIDR: SERVICE_CIDR,
    });
  });
  after(async () => {
    if (cluster) {
      await kubectl(KUBECTL, cluster.kubectlArgs, ['delete', 'pod', POD, '--ignore-not-found']);
    }
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    await cluster?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the join token, whose secret the API server accepts as the node bootstrap user', async () => {
    const printed = wharf(['join-token', '--data-dir', cluster.dataDir]);
    assert.equal(await exitCode(printed), 0, printed.output());
    const token = printed.output().trim();
    assert.equal(token, cluster.joinToken);
    const [prefix, hash, secret] = token.split('::');
    assert.equal(prefix, 'wharf1');
    const der = new X509Certificate(cluster.caPem).raw;
    assert.equal(hash, createHash('sha256').update(der).digest('hex'));
    const whoami = await k([
      'auth',
      'whoami',
      `--token=${secret}`,
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    assert.equal(whoami, 'system:node-bootstrap');
  });

  it('refuses a token for another CA, a malformed token and an unreachable server', async () => {
    const secret = cluster.joinToken.split('::')[2]!;
    const cases = [
      {
        token: `wharf1::${'0'.repeat(64)}::${secret}`,
        message:
          /^wharf: checking the cluster CA of \S+: the server's CA does not match the join token .*The token is for another cluster, or something between this machine and the server is impersonating it; refusing to join/m,
      },
      { token: 'not-a-token', message: /^wharf: --token is not a wharf join token/m },
    ];
    for (const c of cases) {
      const run = wharf(agentArgs(c.token, path.join(dir, 'refused')));
      assert.equal(await exitCode(run), 1, run.output());
      assert.match(run.output(), c.message);
      assert.doesNotMatch(run.output(), /\n\s+at /, 'no stack trace');
    }
    const port = await closedPort();
    const args = agentArgs(cluster.joinToken, path.join(dir, 'refused'));
    args[2] = `https://127.0.0.1:${port}`;
    const run = wharf(args);
    assert.equal(await exitCode(run), 1, run.output());
    assert.match(
      run.output(),
      /^wharf: checking the cluster CA of \S+: cannot reach the API server at \S+: connection refused/m,
    );
    const nodes = await k(['get', 'nodes', '-o', 'name']);
    assert.doesNotMatch(nodes, new RegExp(`node/${NODE}`));
  });

  it('joins as a Ready node, runs a pod pinned to it, and serves its logs and exec', async () => {
    const token = cluster.joinToken;
    const agent = wharf(agentArgs(token, path.join(dir, 'second')));
    agents.push(agent);
    const ready = await waitForOutput(
      agent,
      /wharf agent is ready in [\d.]+s: .* agent port (\d+)/,
    );
    assert.match(agent.output(), /checking the cluster CA of \S+ … ok/);
    assert.match(agent.output(), /authenticated as system:node-bootstrap/);
    assert.match(agent.output(), /service range 10\.100\.0\.0\/16 \(from the cluster\)/);

    const node = await until(`node ${NODE} Ready`, async () => {
      const n = JSON.parse(await k(['get', 'node', NODE, '-o', 'json']));
      const ok = n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
      return ok ? n : undefined;
    });
    assert.deepEqual(
      node.status.addresses.find((a: any) => a.type === 'InternalIP'),
      {
        type: 'InternalIP',
        address: '127.0.0.1',
      },
    );
    assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, Number(ready[1]));
    assert.equal(node.metadata.labels['wharf.dev/runtime'], 'process');

    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD },
      spec: {
        nodeName: NODE,
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'main',
            image: 'busybox:recorded-only',
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'echo hi from second; while true; do sleep 1; done'],
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          },
        ],
      },
    };
    await kubectlOk(KUBECTL, cluster.kubectlArgs, ['apply', '-f', '-'], {
      input: JSON.stringify(pod),
    });
    await until(`pod ${POD} running`, async () => {
      const phase = await k(['get', 'pod', POD, '-o', 'jsonpath={.status.phase}']);
      return phase === 'Running' ? phase : undefined;
    });
    const logs = await until(`logs of ${POD}`, async () => {
      const out = await k(['logs', POD]);
      return out ? out : undefined;
    });
    assert.equal(logs, 'hi from second\n');
    assert.equal(
      await k(['exec', POD, '--', 'sh', '-c', 'echo exec on $NODE']),
      `exec on ${NODE}\n`,
    );

    await k(['delete', 'pod', POD, '--wait=true', '--timeout=60s']);
    agent.child.kill('SIGTERM');
    assert.equal(await exitCode(agent), 0, agent.output());
    assert.match(agent.output(), /wharf: SIGTERM received, shutting down[\s\S]*\nwharf: stopped\n/);
  });
});
