import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { acceptPortForward } from './port-forward.ts';
import { SpdyTestClient, upgradeRequest, webSocketClientTunnel } from './spdy/test-client.ts';

// port-forward with the test client opening stream pairs as kubectl's portforward does.

interface Forwarded {
  port: number;
  data: Duplex;
  reportError: (message: string) => void;
}

describe('port-forward', () => {
  let server: http.Server;
  let port: number;
  const forwarded: Forwarded[] = [];
  const waiting: Array<(f: Forwarded) => void> = [];
  const nextForwarded = () =>
    forwarded.length > 0
      ? Promise.resolve(forwarded.shift()!)
      : new Promise<Forwarded>((resolve) => waiting.push(resolve));

  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      acceptPortForward(req, socket, head, (port, data, reportError) => {
        const f = { port, data, reportError };
        const waiter = waiting.shift();
        if (waiter) waiter(f);
        else forwarded.push(f);
      }).catch(() => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function spdyClient(): Promise<SpdyTestClient> {
    const { response, socket } = await upgradeRequest(port, '/portforward', {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    assert.equal(response.statusCode, 101);
    assert.equal(response.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    return new SpdyTestClient(socket);
  }

  async function tunnelClient(): Promise<SpdyTestClient> {
    const protocol = 'SPDY/3.1+portforward.k8s.io';
    const tunnel = await webSocketClientTunnel(port, '/portforward', protocol);
    assert.equal(tunnel.protocol, protocol);
    return new SpdyTestClient(tunnel.tunnel);
  }

  for (const [name, connect] of [
    ['SPDY', spdyClient],
    ['SPDY tunnelled in WebSocket', tunnelClient],
  ] as const) {
    it(`pairs error and data streams by request id (${name})`, async () => {
      const client = await connect();
      const error = client.open({ streamtype: 'error', port: '8080', requestid: '0' });
      client.send(error, '', true);
      const data = client.open({ streamtype: 'data', port: '8080', requestid: '0' });
      const f = await nextForwarded();
      assert.equal(f.port, 8080);
      client.send(data, 'request', true);
      let received = '';
      f.data.on('data', (chunk: Buffer) => (received += String(chunk)));
      await new Promise((resolve) => f.data.once('end', resolve));
      assert.equal(received, 'request');
      assert.equal(client.received(error).fin, false); // still forwarding
      f.data.end('response');
      await client.until(() => client.received(error).fin);
      assert.deepEqual(client.received(data), {
        data: Buffer.from('response'),
        fin: true,
        reset: false,
      });
      assert.equal(client.received(error).data.length, 0); // no error
      client.close();
    });
  }

  it('reports a failure on the error stream and ends the connection', async () => {
    const client = await spdyClient();
    const error = client.open({ streamtype: 'error', port: '81', requestid: '7' });
    const data = client.open({ streamtype: 'data', port: '81', requestid: '7' });
    const f = await nextForwarded();
    f.reportError('dial tcp 127.0.0.1:81: connect: connection refused');
    await client.until(() => client.received(error).fin && client.received(data).fin);
    assert.equal(
      client.received(error).data.toString(),
      'dial tcp 127.0.0.1:81: connect: connection refused',
    );
    client.close();
  });

  it('pairs streams of clients that send no request id by stream id', async () => {
    const client = await spdyClient();
    client.open({ streamtype: 'error', port: '22' });
    const data = client.open({ streamtype: 'data', port: '22' });
    const f = await nextForwarded();
    f.data.end('hi');
    await client.until(() => client.received(data).fin);
    assert.equal(client.received(data).data.toString(), 'hi');
    client.close();
  });

  it('answers an invalid port on the error stream', async () => {
    const client = await spdyClient();
    const error = client.open({ streamtype: 'error', port: 'http', requestid: '1' });
    await client.until(() => client.received(error).fin);
    assert.equal(client.received(error).data.toString(), 'invalid port-forward stream: port http');
    client.close();
  });

  it('refuses a WebSocket without the tunnelling subprotocol', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/portforward`, ['v4.channel.k8s.io']);
    ws.on('error', () => {});
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res)),
    );
    assert.equal(response.statusCode, 400);
    response.resume();
  });
});
