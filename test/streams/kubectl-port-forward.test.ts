import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KUBECTL, versionedKubectl } from '../support/kubectl.ts';
import { missingCommand } from '../support/requirements.ts';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.ts';

// Real kubectl port-forward against the streams library: SPDY tunnelled in WebSocket from
// 1.31, plain SPDY before (and when KUBECTL_PORT_FORWARD_WEBSOCKETS is off). The "pod" port
// is a TCP echo server on this host; a megabyte each way proves the flow control.

interface Variant {
  name: string;
  binary: string | undefined;
  env: Record<string, string>;
  transport: 'websocket' | 'spdy';
}

const variants: Variant[] = [
  { name: 'kubectl 1.32', binary: KUBECTL, env: {}, transport: 'websocket' },
  {
    name: 'kubectl 1.32 with WebSockets off',
    binary: KUBECTL,
    env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
    transport: 'spdy',
  },
  { name: 'kubectl 1.31', binary: versionedKubectl(31), env: {}, transport: 'websocket' },
  { name: 'kubectl 1.30', binary: versionedKubectl(30), env: {}, transport: 'spdy' },
  { name: 'kubectl 1.27', binary: versionedKubectl(27), env: {}, transport: 'spdy' },
];

interface PortForward {
  child: ChildProcess;
  localPort: number;
  stderr: () => string;
}

/** Starts `kubectl port-forward pod/p :remotePort` and resolves with the local port it chose. */
function portForward(
  variant: Variant,
  api: FakeApiServer,
  remotePort: number,
): Promise<PortForward> {
  const args = [...api.kubectlArgs, 'port-forward', 'pod/p', `:${remotePort}`];
  const child = spawn(variant.binary!, args, { env: { ...process.env, ...variant.env } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) resolve({ child, localPort: Number(match[1]), stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`kubectl exited ${code}: ${stderr}`)));
  });
}

/** Sends `payload`, half-closes, and resolves with everything received until the server's end. */
function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(received)));
    socket.on('error', reject);
    socket.end(payload);
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

for (const variant of variants) {
  const skip = variant.binary
    ? missingCommand(variant.binary, 'the kubectl versions in CI')
    : 'not installed';
  describe(`kubectl port-forward over ${variant.transport}: ${variant.name}`, { skip }, () => {
    let api: FakeApiServer;
    let echo: net.Server;
    let echoPort: number;
    const children: ChildProcess[] = [];

    before(async () => {
      api = await startFakeApiServer();
      echo = net.createServer((socket) => socket.pipe(socket));
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      echoPort = (echo.address() as net.AddressInfo).port;
    });
    after(async () => {
      for (const child of children) child.kill('SIGKILL');
      echo.close();
      await api.close();
    });

    async function stop(forward: PortForward): Promise<void> {
      const exited = new Promise((resolve) => forward.child.once('exit', resolve));
      forward.child.kill();
      await exited;
    }

    it(
      'echoes a megabyte each way, with connections side by side',
      { timeout: 20_000 },
      async () => {
        const forward = await portForward(variant, api, echoPort);
        children.push(forward.child);
        const big = randomBytes(1024 * 1024);
        const [bigEcho, smallEcho] = await Promise.all([
          roundTrip(forward.localPort, big),
          roundTrip(forward.localPort, Buffer.from('small')),
        ]);
        assert.equal(bigEcho.length, big.length);
        assert.equal(sha256(bigEcho), sha256(big));
        assert.equal(smallEcho.toString(), 'small');
        // The forward still serves new connections after the others finished.
        assert.equal(
          (await roundTrip(forward.localPort, Buffer.from('again'))).toString(),
          'again',
        );
        assert.deepEqual(api.sessions.at(-1), {
          kind: 'portforward',
          transport: variant.transport,
        });
        assert.deepEqual(api.errors, []);
        await stop(forward);
      },
    );

    it('shows the error when nothing listens on the port', { timeout: 20_000 }, async () => {
      const closed = net.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as net.AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const forward = await portForward(variant, api, closedPort);
      children.push(forward.child);
      const echoed = await roundTrip(forward.localPort, Buffer.from('anyone?')).catch(() =>
        Buffer.alloc(0),
      );
      assert.equal(echoed.length, 0);
      await new Promise<void>((resolve) => {
        const check = () => forward.stderr().includes('ECONNREFUSED') && resolve();
        check();
        forward.child.stderr!.on('data', check);
      });
      assert.match(forward.stderr(), new RegExp(`error forwarding port ${closedPort} to pod p`));
      await stop(forward);
    });
  });
}
