import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RstStatus } from './spdy/frames.ts';
import { SpdyTestClient, upgradeRequest } from './spdy/test-client.ts';
import { acceptExecStream, parseExecQuery } from './exec.ts';
import type { StreamSession, TerminalSize } from './types.ts';

// exec over SPDY, with the test client opening streams as kubectl's remotecommand does.

describe('exec over SPDY', () => {
  let server: http.Server;
  let port: number;
  const sessions: Array<(session: StreamSession) => void> = [];

  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      const { command: _command, ...options } = parseExecQuery(req.url ?? '/');
      acceptExecStream(req, socket, head, options).then(
        (session) => sessions.shift()?.(session),
        () => {},
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function upgrade(query: string, versions: string[]) {
    const session = new Promise<StreamSession>((resolve) => sessions.push(resolve));
    const { response, socket } = await upgradeRequest(port, `/exec?${query}`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': versions,
    });
    assert.equal(response.statusCode, 101);
    return { response, client: new SpdyTestClient(socket), session };
  }

  it('negotiates v4, runs the streams, and ends with a Status on the error stream', async () => {
    const { response, client, session } = await upgrade('stdin=true&stdout=true&stderr=true', [
      'v4.channel.k8s.io',
      'v3.channel.k8s.io',
    ]);
    assert.equal(response.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    assert.equal(response.headers.upgrade, 'SPDY/3.1');
    const [error, stdin, stdout, stderr] = ['error', 'stdin', 'stdout', 'stderr'].map((t) =>
      client.open({ streamtype: t }),
    );
    client.send(error!, '', true); // kubectl closes its half of the error stream
    client.send(stdin!, 'input', true);
    const s = await session;
    assert.equal(s.transport, 'spdy');
    let input = '';
    s.stdin!.on('data', (chunk: Buffer) => (input += String(chunk)));
    await new Promise((resolve) => s.stdin!.once('end', resolve));
    assert.equal(input, 'input');
    s.stdout!.write('out');
    s.stderr!.write('err');
    const ended = s.end({ exitCode: 5 });
    await client.until(() => client.frames.some((f) => f.kind === 'goAway'));
    for (const [id, text] of [
      [stdout!, 'out'],
      [stderr!, 'err'],
    ] as const) {
      assert.deepEqual(client.received(id), { data: Buffer.from(text), fin: true, reset: false });
    }
    assert.equal(client.received(error!).fin, true);
    const status = JSON.parse(client.received(error!).data.toString());
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '5' }] });
    assert.equal(s.closed.aborted, false); // the client hangs up, as kubectl does
    client.close();
    await ended;
    assert.equal(s.closed.aborted, true);
  });

  it('sends a bare failure message on v3, nothing on success, and reads resizes', async () => {
    for (const [result, expected] of [
      [{ error: 'boom' }, 'Internal error occurred: boom'],
      [{ exitCode: 0 }, ''],
    ] as const) {
      const { client, session } = await upgrade('stdout=true&tty=true', ['v3.channel.k8s.io']);
      const error = client.open({ streamtype: 'error' });
      client.open({ streamtype: 'stdout' });
      const resize = client.open({ streamtype: 'resize' });
      // Go's json.Encoder: objects one after another, each followed by a newline.
      client.send(resize, '{"Width":80,"Height":24}\n{"Width":100,');
      client.send(resize, '"Height":50}\n');
      const s = await session;
      assert.equal(s.protocol, 'v3.channel.k8s.io');
      const sizes: TerminalSize[] = [];
      await new Promise<void>((resolve) => {
        s.onResize((size) => {
          sizes.push(size);
          if (size.width === 100) resolve();
        });
      });
      assert.deepEqual(sizes.at(-1), { width: 100, height: 50 });
      void s.end(result);
      await client.until(() => client.received(error).fin);
      assert.equal(client.received(error).data.toString(), expected);
      client.close();
    }
  });

  it('resets streams of unknown types', async () => {
    const { client, session } = await upgrade('stdout=true', ['v4.channel.k8s.io']);
    const bogus = client.open({ streamtype: 'video' });
    client.open({ streamtype: 'error' });
    client.open({ streamtype: 'stdout' });
    const s = await session;
    await client.until(() => client.received(bogus).reset);
    const rst = client.frames.find((f) => f.kind === 'rstStream');
    assert.deepEqual(rst, { kind: 'rstStream', streamId: bogus, status: RstStatus.protocolError });
    client.close();
    await s.end({ exitCode: 0 });
  });

  it('refuses protocols it does not speak, naming the ones it does', async () => {
    const { response, body } = await upgradeRequest(port, '/exec?stdout=true', {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'channel.k8s.io',
    });
    assert.equal(response.statusCode, 403);
    assert.equal(
      response.headers['x-accepted-stream-protocol-versions'],
      'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io',
    );
    assert.match(JSON.parse(body!).message, /unable to negotiate protocol/);
  });
});
