import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpdyConnection } from './connection.ts';
import {
  encodePing,
  encodeRstStream,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
} from './frames.ts';
import type { SpdyStream } from './stream.ts';
import { SpdyTestClient } from './test-client.ts';

// A SpdyConnection on one end of a loopback TCP connection, SpdyTestClient on the other.

interface Harness {
  client: SpdyTestClient;
  connection: SpdyConnection;
  streams: SpdyStream[];
  nextStream(): Promise<SpdyStream>;
}

describe('SpdyConnection', () => {
  let server: net.Server;
  let accepted: (socket: net.Socket) => void = () => {};

  before(async () => {
    server = net.createServer((socket) => accepted(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => server.close());

  async function connect(): Promise<Harness> {
    const serverSide = new Promise<net.Socket>((resolve) => (accepted = resolve));
    const clientSocket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const streams: SpdyStream[] = [];
    const waiting: Array<(s: SpdyStream) => void> = [];
    const connection = new SpdyConnection(await serverSide, {
      onStream: (stream) => {
        const waiter = waiting.shift();
        if (waiter) waiter(stream);
        else streams.push(stream);
      },
    });
    const nextStream = () => {
      const ready = streams.shift();
      return ready ? Promise.resolve(ready) : new Promise<SpdyStream>((r) => waiting.push(r));
    };
    return { client: new SpdyTestClient(clientSocket), connection, streams, nextStream };
  }

  it('replies to each new stream and hands it over with its headers, in order', async () => {
    const { client, nextStream } = await connect();
    const ids = ['error', 'stdin', 'stdout'].map((type) => client.open({ streamtype: type }));
    const streams = [await nextStream(), await nextStream(), await nextStream()];
    assert.deepEqual(
      streams.map((s) => [s.id, s.header('streamtype')]),
      [
        [ids[0], 'error'],
        [ids[1], 'stdin'],
        [ids[2], 'stdout'],
      ],
    );
    await client.until(() => client.frames.filter((f) => f.kind === 'synReply').length === 3);
    const reply = client.frames.find((f) => f.kind === 'synReply')!;
    assert.deepEqual(reply.replyHeaders, new Map());
    client.close();
  });

  it('carries data both ways and half-closes each direction with FIN', async () => {
    const { client, nextStream } = await connect();
    const id = client.open({ streamtype: 'data' });
    const stream = await nextStream();
    client.send(id, 'ping', true);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => stream.once('end', resolve));
    assert.equal(Buffer.concat(chunks).toString(), 'ping');
    stream.end('pong');
    await client.until(() => client.received(id).fin);
    assert.equal(client.received(id).data.toString(), 'pong');
    client.close();
  });

  it("echoes the client's pings", async () => {
    const { client } = await connect();
    client.socket.write(encodePing(7));
    await client.until(() => client.frames.some((f) => f.kind === 'ping'));
    assert.deepEqual(
      client.frames.find((f) => f.kind === 'ping'),
      { kind: 'ping', id: 7 },
    );
    client.close();
  });

  it('opens the windows as data is read, and not for data nobody reads', async () => {
    const { client, nextStream } = await connect();
    const id = client.open({ streamtype: 'data' });
    const stream = await nextStream();
    const windowGranted = (streamId: number) =>
      client.frames.reduce(
        (sum, f) => (f.kind === 'windowUpdate' && f.streamId === streamId ? sum + f.delta : sum),
        0,
      );
    // 512 KiB into a stream nobody reads: its read buffer (256 KiB) fills, reading from the
    // client pauses, and no more window is granted than what the buffer took.
    const total = 512 * 1024;
    for (let sent = 0; sent < total; sent += 32 * 1024) client.send(id, Buffer.alloc(32 * 1024));
    await new Promise<void>((resolve) => {
      const check = () => {
        if (stream.readableLength < stream.readableHighWaterMark) return;
        stream.off('readable', check);
        resolve();
      };
      stream.on('readable', check);
    });
    assert.ok(windowGranted(id) <= 256 * 1024, `granted ${windowGranted(id)} before reading`);
    let read = 0;
    const allRead = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read === total) resolve();
      });
    });
    stream.resume();
    await allRead;
    // Once read, all but less than an update's threshold has been granted back.
    const threshold = 32 * 1024;
    await client.until(() => windowGranted(id) > total - threshold);
    await client.until(() => windowGranted(0) > total - threshold);
    client.close();
  });

  it('ends a stream the client resets', async () => {
    const { client, nextStream } = await connect();
    const id = client.open({ streamtype: 'data' });
    const stream = await nextStream();
    stream.resume();
    const closed = new Promise((resolve) => stream.once('close', resolve));
    client.socket.write(encodeRstStream(id, 5));
    await closed;
    assert.equal(stream.readableEnded, true);
    stream.write('dropped, not an error');
    client.close();
  });

  it('answers a framing error with GOAWAY and closes, with the error as reason', async () => {
    const { client, connection } = await connect();
    client.socket.write(Buffer.from('8002000600000004' + '00000001', 'hex')); // a SPDY/2 PING
    await client.until(() => client.closed);
    const goAway = client.frames.find((f) => f.kind === 'goAway');
    assert.deepEqual(goAway, {
      kind: 'goAway',
      lastGoodStreamId: 0,
      status: GoAwayStatus.protocolError,
    });
    assert.ok(connection.signal.aborted);
    assert.ok(connection.signal.reason instanceof SpdyProtocolError);
  });

  it('closes with GOAWAY naming the last stream, and lets the client hang up', async () => {
    const { client, connection, nextStream } = await connect();
    client.open({ streamtype: 'error' });
    const id = client.open({ streamtype: 'stdout' });
    await nextStream();
    await nextStream();
    const closing = connection.close();
    await client.until(() => client.frames.some((f) => f.kind === 'goAway'));
    assert.equal(client.closed, false);
    assert.deepEqual(
      client.frames.find((f) => f.kind === 'goAway'),
      { kind: 'goAway', lastGoodStreamId: id, status: GoAwayStatus.ok },
    );
    client.close();
    await closing;
    assert.equal(connection.signal.aborted, true);
    assert.equal((connection.signal.reason as Error).name, 'AbortError'); // a normal end
  });

  it('refuses streams opened after GOAWAY', async () => {
    const { client, connection } = await connect();
    void connection.close();
    await client.until(() => client.frames.some((f) => f.kind === 'goAway'));
    const id = client.open({ streamtype: 'data' });
    await client.until(() => client.received(id).reset);
    const rst = client.frames.find((f) => f.kind === 'rstStream');
    assert.deepEqual(rst, { kind: 'rstStream', streamId: id, status: RstStatus.refusedStream });
    client.close();
  });
});
