import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KUBECTL, kubectl } from '../support/kubectl.ts';
import { missingCommand, missingRoot } from '../support/requirements.ts';
import { until } from '../support/until.ts';

// A node without root, for real: `wharf up` runs as user nobody (switched to with
// setpriv, so the test itself needs root) on the process runtime. It picks a loopback
// service range by itself and says why; a pod (on the host network, as pods are without
// root) behind a service answers on its cluster IP through the user-space proxy, from
// the host and from inside the pod, and pods are not sent to the unbindable
// `kubernetes` service address (port 443 needs root) but to the API server itself.

const WHARF = path.resolve('bin/wharf.mjs');
const BUNDLE = path.resolve('dist/wharf.mjs');
const skip =
  missingRoot('switches to user nobody to run wharf up without root') ||
  missingCommand('setpriv', 'apt-get install util-linux') ||
  missingCommand('busybox', 'apt-get install busybox-static');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('a node without root (wharf up as nobody)', { skip, timeout: 300_000 }, () => {
  let dir: string;
  let dataDir: string;
  let up: ChildProcess | undefined;
  let output = '';
  let exited: Promise<number | null>;
  const k = (args: string[], input?: string) =>
    kubectl(
      KUBECTL,
      ['--kubeconfig', path.join(dataDir, 'kubeconfig.yaml'), '--cache-dir', `${dir}/cache`],
      args,
      { ...(input ? { input } : {}), timeoutMs: 60_000 },
    );
  const ok = async (args: string[], input?: string) => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    // Built as root: nobody may not write the bundle next to the sources.
    execFileSync(process.execPath, [WHARF, '--version']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-nonroot-'));
    fs.chmodSync(dir, 0o755);
    dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }));
    fs.chownSync(dataDir, uid, gid);
    const args = ['up', '--data-dir', dataDir, '--port', String(await freePort())];
    up = spawn(
      'setpriv',
      [
        ...['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'],
        ...[process.execPath, BUNDLE, ...args, '--runtime', 'process'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dataDir } },
    );
    up.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    up.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) => up!.on('exit', (code) => resolve(code)));
    await until('wharf up to be ready', async () => {
      if (up!.exitCode !== null) assert.fail(`wharf up exited:\n${output}`);
      return /^wharf is ready in /m.test(output) ? true : undefined;
    });
  });

  after(async () => {
    if (up && up.exitCode === null) {
      // The pod first: a stopped agent leaves its processes running, to adopt them later.
      await k(['delete', 'pods', '--all', '--grace-period=1', '--wait=true']);
      up.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes its service range from loopback by itself, and says why', async () => {
    assert.match(
      output,
      /^ {2}not running as root: cluster IPs come from 127\.96\.0\.0\/16 on loopback, the only addresses the user-space service proxy can serve without root/m,
    );
    assert.match(output, /service proxy \(userspace\)/);
    const kubernetes = JSON.parse(await ok(['get', 'service', 'kubernetes', '-o', 'json']));
    assert.equal(kubernetes.spec.clusterIP, '127.96.0.1');
  });

  it('serves a pod behind a service on its cluster IP, from the host and from the pod', async () => {
    const port = await freePort();
    const www = `/tmp/wharf-nonroot-www-${port}`;
    const serve = `mkdir -p ${www} && echo served by $HOSTNAME > ${www}/index.html && exec busybox httpd -f -p ${port} -h ${www}`;
    const objects = [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              ...{ name: 'web', image: 'busybox', imagePullPolicy: 'IfNotPresent' },
              command: ['sh', '-c', serve],
              ports: [{ containerPort: port }],
              readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
            },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: port }] },
      },
    ];
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
    await ok(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
    const pod = JSON.parse(await ok(['get', 'pod', 'web', '-o', 'json']));
    assert.equal(
      pod.status.podIP,
      pod.status.hostIP,
      'a pod without a network of its own has the node address',
    );
    // The token volume the ServiceAccount admission added cannot be mounted without root:
    // the pod runs without it, and says so.
    const events = JSON.parse(
      await ok(['get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'json']),
    ).items as { reason: string; message: string }[];
    const notMounted = events.find((e) => e.reason === 'ServiceAccountTokenNotMounted');
    assert.match(
      notMounted?.message ?? '',
      /the service account token of container web is not at \/var\/run\/secrets\/kubernetes\.io\/serviceaccount: .* the token, ca\.crt and namespace are in \//,
    );
    const ip = JSON.parse(await ok(['get', 'service', 'web', '-o', 'json'])).spec
      .clusterIP as string;
    assert.match(ip, /^127\.96\./);
    assert.equal(await until('an answer on the cluster IP', () => get(ip, 8080)), 'served by web');

    const fromPod = await ok([
      ...['exec', 'web', '--', 'sh', '-c'],
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc ${ip} 8080`,
    ]);
    assert.match(fromPod, /served by web/);
    const env = await ok(['exec', 'web', '--', 'sh', '-c', 'echo $KUBERNETES_SERVICE_HOST']);
    assert.equal(env.trim(), pod.status.hostIP, 'not 127.96.0.1:443, which nobody cannot bind');
    fs.rmSync(www, { recursive: true, force: true });
  });
});
