import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KUBECTL, kubectl, versionedKubectl } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.ts';

// Real kubectl binaries run exec, exec -i, cp and exec -it against the streams library, each
// over the transport that version picks: WebSocket v5 from 1.30, SPDY before (and when
// kubectl's KUBECTL_REMOTE_COMMAND_WEBSOCKETS is off). The "pod" runs commands on this host.

interface Variant {
  name: string;
  binary: string | undefined;
  env: Record<string, string>;
  transport: 'websocket' | 'spdy';
  protocol: string;
}

const variants: Variant[] = [
  {
    name: 'kubectl 1.32',
    binary: KUBECTL,
    env: {},
    transport: 'websocket',
    protocol: 'v5.channel.k8s.io',
  },
  {
    name: 'kubectl 1.32 with WebSockets off',
    binary: KUBECTL,
    env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
    transport: 'spdy',
    protocol: 'v5.channel.k8s.io',
  },
  {
    name: 'kubectl 1.33',
    binary: versionedKubectl(33),
    env: {},
    transport: 'websocket',
    protocol: 'v5.channel.k8s.io',
  },
  {
    name: 'kubectl 1.29',
    binary: versionedKubectl(29),
    env: {},
    transport: 'spdy',
    protocol: 'v5.channel.k8s.io',
  },
  {
    name: 'kubectl 1.27',
    binary: versionedKubectl(27),
    env: {},
    transport: 'spdy',
    protocol: 'v4.channel.k8s.io',
  },
];

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

for (const variant of variants) {
  const skip = variant.binary
    ? missingCommand(variant.binary, 'the kubectl versions in CI')
    : 'not installed';
  describe(`kubectl exec over ${variant.transport}: ${variant.name}`, { skip }, () => {
    let api: FakeApiServer;
    let dir: string;
    const run = (args: string[], input?: string) =>
      kubectl(variant.binary!, api.kubectlArgs, args, {
        env: variant.env,
        input,
        timeoutMs: 20_000,
      });

    before(async () => {
      api = await startFakeApiServer();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-streams-pod-'));
    });
    after(async () => {
      fs.rmSync(dir, { recursive: true, force: true });
      await api.close();
    });

    it('passes stdout, stderr and the exit code through', { timeout: 20_000 }, async () => {
      const r = await run(['exec', 'p', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\ncommand terminated with exit code 3\n');
      assert.equal(r.code, 3);
      assert.deepEqual(api.sessions.at(-1), {
        kind: 'exec',
        transport: variant.transport,
        protocol: variant.protocol,
      });
      assert.deepEqual(api.errors, []);
    });

    it('feeds piped stdin to the command and ends it', { timeout: 20_000 }, async () => {
      const r = await run(['exec', '-i', 'p', '--', 'cat'], 'hello\nworld\n');
      assert.deepEqual(r, { code: 0, stdout: 'hello\nworld\n', stderr: '' });
    });

    it(
      'reports a command that cannot start as an internal error',
      { timeout: 20_000 },
      async () => {
        const r = await run(['exec', 'p', '--', '/no/such/command']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^error: Internal error occurred: starting \/no\/such\/command: /);
      },
    );

    it(
      'copies a few megabytes into the pod and back with kubectl cp',
      { timeout: 20_000 },
      async () => {
        const content = randomBytes(3 * 1024 * 1024);
        const local = path.join(dir, 'local.bin');
        fs.writeFileSync(local, content);
        const inPod = path.join(dir, 'in-pod');
        fs.mkdirSync(inPod);
        const up = await run(['cp', local, `p:${inPod}/copied.bin`]);
        assert.equal(up.code, 0, up.stderr);
        assert.equal(sha256(fs.readFileSync(path.join(inPod, 'copied.bin'))), sha256(content));
        const back = path.join(dir, 'back.bin');
        const down = await run(['cp', `p:${inPod}/copied.bin`, back]);
        assert.equal(down.code, 0, down.stderr);
        assert.equal(sha256(fs.readFileSync(back)), sha256(content));
      },
    );

    const noScript = missingCommand('script', 'apt-get install bsdutils');
    it('sends the terminal size of a TTY', { timeout: 20_000, skip: noScript }, async () => {
      // `script` gives kubectl a pseudo-terminal of a known size; the toy prints what arrives.
      const args = [...api.kubectlArgs, 'exec', '-it', 'p', '--', 'sh'];
      const command = `stty cols 123 rows 45; ${[variant.binary!, ...args].join(' ')}`;
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          'script',
          ['-qec', command, '/dev/null'],
          { env: { ...process.env, ...variant.env }, timeout: 20_000 },
          (err, out) => (err ? reject(err) : resolve(out)),
        );
      });
      assert.equal(stdout, 'terminal 123x45\r\n');
    });
  });
}
