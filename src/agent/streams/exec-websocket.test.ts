import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { acceptExecStream, parseExecQuery } from './exec.ts';
import type { StreamSession, TerminalSize } from './types.ts';

// The WebSocket channel protocols, driven by a `ws` client the way kubectl drives them.

interface Message {
  channel: number;
  payload: Buffer;
}

describe('exec over WebSocket', () => {
  let server: http.Server;
  let port: number;
  const sessions: Array<(session: StreamSession) => void> = [];
  const failures: Error[] = [];

  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      const { command: _command, ...options } = parseExecQuery(req.url ?? '/');
      acceptExecStream(req, socket, head, options).then(
        (session) => sessions.shift()?.(session),
        (err: Error) => failures.push(err),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function connect(query: string, protocols: string[]) {
    const session = new Promise<StreamSession>((resolve) => sessions.push(resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec?${query}`, protocols);
    const messages: Message[] = [];
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) messages.push({ channel: data[0]!, payload: data.subarray(1) });
      else {
        const text = data.toString();
        messages.push({
          channel: text.charCodeAt(0) - 48,
          payload: Buffer.from(text.slice(1), 'base64'),
        });
      }
    });
    await new Promise((resolve) => ws.once('open', resolve));
    return { ws, session: await session, messages, closed };
  }

  const on = (messages: Message[], channel: number) =>
    Buffer.concat(messages.filter((m) => m.channel === channel).map((m) => m.payload)).toString();

  it('speaks v5: channels, stdin close, resize, final status, close 1000, pongs', async () => {
    const { ws, session, messages, closed } = await connect('stdin=true&stdout=true&tty=true', [
      'v5.channel.k8s.io',
      'v4.channel.k8s.io',
    ]);
    assert.equal(session.protocol, 'v5.channel.k8s.io');
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    assert.equal(session.stderr, undefined); // a TTY merges stderr into stdout

    const sizes: TerminalSize[] = [];
    ws.send(Buffer.concat([Buffer.of(4), Buffer.from('{"Width":120,"Height":40}')]));
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('hello ')]));
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('world')]));
    ws.send(Buffer.of(255, 0));
    let input = '';
    for await (const chunk of session.stdin!) input += String(chunk);
    assert.equal(input, 'hello world');
    session.onResize((size) => sizes.push(size)); // joins late: gets the latest size
    assert.deepEqual(sizes, [{ width: 120, height: 40 }]);

    const pong = new Promise((resolve) => ws.once('pong', resolve));
    ws.ping('are you there');
    assert.equal(String(await pong), 'are you there');

    session.stdout!.write('out');
    await session.end({ exitCode: 2 });
    assert.equal(await closed, 1000);
    assert.equal(on(messages, 1), 'out');
    assert.deepEqual(JSON.parse(on(messages, 3)), {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 2',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '2' }] },
    });
    assert.equal(session.closed.aborted, true);
  });

  it('speaks v4.base64 in text messages', async () => {
    const { ws, session, messages, closed } = await connect('stdout=true&stderr=true', [
      'v4.base64.channel.k8s.io',
    ]);
    assert.equal(session.protocol, 'v4.base64.channel.k8s.io');
    // The kubelet's "streams are ready" signal for pre-v5 clients: an empty stdout message.
    await new Promise<void>((resolve) =>
      messages.length > 0 ? resolve() : ws.once('message', () => resolve()),
    );
    assert.deepEqual(messages[0], { channel: 1, payload: Buffer.alloc(0) });
    session.stderr!.write('oops');
    await session.end({ exitCode: 0 });
    assert.equal(await closed, 1000);
    assert.equal(on(messages, 2), 'oops');
    assert.deepEqual(JSON.parse(on(messages, 3)), { metadata: {}, status: 'Success' });
    ws.terminate();
  });

  it('sends only the message of a failure on channel.k8s.io', async () => {
    const { session, messages, closed } = await connect('stdout=true', ['channel.k8s.io']);
    await session.end({ error: 'no such container' });
    await closed;
    assert.equal(on(messages, 3), 'Internal error occurred: no such container');
  });

  it('aborts the session when the client goes away; later output is dropped', async () => {
    const { ws, session } = await connect('stdin=true&stdout=true', ['v5.channel.k8s.io']);
    const aborted = new Promise((resolve) => session.closed.addEventListener('abort', resolve));
    ws.terminate();
    await aborted;
    assert.equal(session.stdin!.read(), null);
    session.stdout!.write('nobody listens');
    await session.end({ exitCode: 0 });
  });

  it('refuses unknown subprotocols with a Status, and requests without streams', async () => {
    for (const [query, protocols, message] of [
      ['stdout=true', ['v9.channel.k8s.io'], /none of the subprotocols \[v9.channel.k8s.io\]/],
      ['tty=true', ['v5.channel.k8s.io'], /at least 1 of stdin, stdout, stderr/],
    ] as const) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/exec?${query}`, [...protocols]);
      ws.on('error', () => {}); // the refused handshake
      const response = await new Promise<http.IncomingMessage>((resolve) =>
        ws.once('unexpected-response', (_req, res) => resolve(res)),
      );
      assert.equal(response.statusCode, 400);
      let body = '';
      for await (const chunk of response) body += String(chunk);
      assert.match(JSON.parse(body).message, message);
    }
    assert.equal(failures.length, 2);
  });
});
