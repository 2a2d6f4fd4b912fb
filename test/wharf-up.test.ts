import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { KUBECTL, kubectlOk } from './support/kubectl.ts';

// The `wharf` command as a user runs it: `wharf up` in the foreground, its output, one
// cluster per data dir and port, a clean stop, and the kubeconfig it leaves behind.

const WHARF = path.resolve('bin/wharf.mjs');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [WHARF, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(run: Running, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = re.exec(run.output());
    if (m) return m[0];
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`did not see ${re} in:\n${run.output()}`);
}

describe('wharf up', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-up-'));
  const running: Running[] = [];
  after(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, prints progress and one ready line, serves kubectl, and stops cleanly', async () => {
    const dataDir = path.join(dir, 'one');
    const port = await freePort();
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.kube'), { recursive: true });
    const otherContext = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'other', cluster: { server: 'https://192.0.2.1' } }],
      users: [{ name: 'other', user: { token: 'x' } }],
      contexts: [{ name: 'other', context: { cluster: 'other', user: 'other' } }],
      'current-context': 'other',
    };
    fs.writeFileSync(path.join(home, '.kube', 'config'), YAML.stringify(otherContext));

    const up = start(['up', '--data-dir', dataDir, '--port', String(port), '--write-kubeconfig'], {
      HOME: home,
    });
    running.push(up);
    const ready = await waitFor(
      up,
      /wharf is ready in [\d.]+s: kubeconfig (\S+) · API (https:\/\/\S+)/,
    );
    assert.match(up.output(), /opening store sqlite:\/\/.* … ok/);
    assert.match(up.output(), /starting apiserver .* … ok/);
    const kubeconfig = path.join(dataDir, 'kubeconfig.yaml');
    assert.ok(ready.includes(kubeconfig));
    assert.ok(ready.includes(`https://127.0.0.1:${port}`));
    assert.equal(fs.statSync(kubeconfig).mode & 0o777, 0o600);

    const args = ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache')];
    await kubectlOk(KUBECTL, args, ['create', 'configmap', 'survivor', '--from-literal=a=b']);

    // The merged kubeconfig has both contexts, and ours is current.
    const merged = YAML.parse(fs.readFileSync(path.join(home, '.kube', 'config'), 'utf8')) as {
      contexts: { name: string }[];
      'current-context': string;
    };
    assert.deepEqual(merged.contexts.map((c) => c.name).sort(), ['other', 'wharf']);
    assert.equal(merged['current-context'], 'wharf');

    // A second cluster on the same data dir, or on the same port, is refused in one sentence.
    const twin = start(['up', '--data-dir', dataDir, '--port', String(await freePort())]);
    assert.equal(await twin.exited, 1);
    assert.match(
      twin.output(),
      /^wharf: data dir .* is in use by another wharf \(process \d+\); stop it first or pass --data-dir$/m,
    );
    const clash = start(['up', '--data-dir', path.join(dir, 'two'), '--port', String(port)]);
    assert.equal(await clash.exited, 1);
    assert.match(
      clash.output(),
      new RegExp(
        `^wharf: starting apiserver on 0\\.0\\.0\\.0:${port}: port ${port} is in use by another process$`,
        'm',
      ),
    );

    // `wharf kubeconfig` prints the same file.
    const printed = start(['kubeconfig', '--data-dir', dataDir]);
    assert.equal(await printed.exited, 0);
    assert.equal(printed.output(), fs.readFileSync(kubeconfig, 'utf8'));

    up.child.kill('SIGTERM');
    assert.equal(await up.exited, 0);
    assert.match(up.output(), /wharf: SIGTERM received, shutting down\n[\s\S]*wharf: stopped/);
    assert.equal(fs.existsSync(path.join(dataDir, 'wharf.pid')), false);

    // Started again on the same data dir, the cluster still has its objects.
    const again = start(['up', '--data-dir', dataDir, '--port', String(port)]);
    running.push(again);
    await waitFor(again, /wharf is ready/);
    const out = await kubectlOk(KUBECTL, args, [
      'get',
      'configmap',
      'survivor',
      '-o',
      'jsonpath={.data.a}',
    ]);
    assert.equal(out, 'b');
    again.child.kill('SIGINT');
    assert.equal(await again.exited, 0);
  });
});
