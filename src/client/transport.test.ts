import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type ConnectionLoss, mayResend, ndjson, Transport } from './transport.ts';

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

it('ndjson decodes events split anywhere, even inside a multi-byte character', async () => {
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a', annotations: { note: 'héllo ☃ 🚢' } } } },
    { type: 'MODIFIED', object: { metadata: { name: 'b' } } },
    { type: 'DELETED', object: { metadata: { name: 'c' } } },
  ];
  const bytes = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
  for (let cut = 1; cut < bytes.length; cut++) {
    const out = [];
    for await (const e of ndjson(chunked(bytes, [cut, Math.min(bytes.length, cut + 7)])))
      out.push(e);
    assert.deepEqual(out, events, `cut at ${cut}`);
  }
  const oneByte = [];
  for await (const e of ndjson(
    chunked(
      bytes,
      [...Array(bytes.length - 1).keys()].map((i) => i + 1),
    ),
  ))
    oneByte.push(e);
  assert.deepEqual(oneByte, events);
});

it('ndjson accepts a last line without newline and skips blank lines', async () => {
  const out = [];
  for await (const e of ndjson(chunked(Buffer.from('\n{"a":1}\n\n{"b":2}'), [3]))) out.push(e);
  assert.deepEqual(out, [{ a: 1 }, { b: 2 }]);
});

/** A plain HTTP server that answers each request as `answer` says, counting what it read. */
async function startServer(
  answer: (req: http.IncomingMessage, res: http.ServerResponse, nth: number) => void,
): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      answer(req, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function transportTo(url: string): Transport {
  return new Transport({ server: url, token: '', caPem: '', userAgent: 'test', timeoutMs: 10_000 });
}

const ok = (res: http.ServerResponse) => res.writeHead(200).end('{}');

describe('Transport sends a request again only when that cannot repeat its effect', () => {
  it('decides as Go net/http does', () => {
    const cases: [string, Partial<ConnectionLoss>, boolean][] = [
      ['POST, nothing written, reused connection', { method: 'POST', wroteBytes: false }, true],
      ['POST written on a reused connection', { method: 'POST' }, false],
      ['PATCH written', { method: 'PATCH' }, false],
      ['PUT written', { method: 'PUT' }, false],
      ['DELETE written', { method: 'DELETE' }, false],
      ['GET written on a reused connection', { method: 'GET' }, true],
      ['HEAD written', { method: 'HEAD' }, true],
      ['GET on a fresh connection', { method: 'GET', reusedSocket: false }, false],
      [
        'POST, nothing written, fresh connection',
        { wroteBytes: false, reusedSocket: false },
        false,
      ],
      ['GET after EPIPE', { method: 'GET', code: 'EPIPE' }, true],
      ['GET refused', { method: 'GET', code: 'ECONNREFUSED' }, false],
      ['GET timed out', { method: 'GET', code: undefined }, false],
    ];
    for (const [name, loss, want] of cases) {
      const full: ConnectionLoss = {
        method: 'POST',
        reusedSocket: true,
        wroteBytes: true,
        code: 'ECONNRESET',
        ...loss,
      };
      assert.equal(mayResend(full), want, name);
    }
  });

  it('does not send a POST again when its pooled connection drops after the server read it', async () => {
    const server = await startServer((req, res, nth) => {
      if (nth === 2) req.socket.destroy();
      else ok(res);
    });
    const transport = transportTo(server.url);
    try {
      await transport.json({ method: 'GET', path: '/warm' });
      await assert.rejects(
        transport.json({ method: 'POST', path: '/events', body: { n: 1 } }),
        (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET',
      );
      assert.deepEqual(server.seen, ['GET /warm', 'POST /events']);
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('sends a GET again on a fresh connection when its pooled one drops', async () => {
    const ports: number[] = [];
    const server = await startServer((req, res, nth) => {
      ports.push(req.socket.remotePort!);
      if (nth === 2) req.socket.destroy();
      else ok(res);
    });
    const transport = transportTo(server.url);
    try {
      await transport.json({ method: 'GET', path: '/warm' });
      assert.deepEqual(await transport.json({ method: 'GET', path: '/things' }), {});
      assert.deepEqual(server.seen, ['GET /warm', 'GET /things', 'GET /things']);
      assert.equal(ports[0], ports[1], 'the first try reused the pooled connection');
      assert.notEqual(ports[2], ports[1], 'the second try went on a fresh one');
    } finally {
      transport.close();
      await server.close();
    }
  });

  it('close() cuts requests in flight with an AbortError and sends none of them again', async () => {
    let received!: () => void;
    const bothReceived = new Promise<void>((resolve) => (received = resolve));
    const server = await startServer((_req, res, nth) => {
      if (nth === 1) ok(res);
      // The POST and the GET are read and never answered, as by a server under load.
      else if (nth === 3) received();
    });
    const transport = transportTo(server.url);
    try {
      await transport.json({ method: 'GET', path: '/warm' });
      const cut = Promise.allSettled([
        transport.json({ method: 'POST', path: '/events', body: { n: 1 } }),
        transport.json({ method: 'GET', path: '/things' }),
      ]);
      await bothReceived;
      transport.close();
      for (const outcome of await cut) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome.reason as Error).name, 'AbortError');
      }
      assert.deepEqual(server.seen.toSorted(), ['GET /things', 'GET /warm', 'POST /events']);
    } finally {
      await server.close();
    }
  });
});

/** A keep-alive server that never closes idle connections itself, on TCP or a unix socket. */
async function startPoolServer(where: 'tcp' | 'unix') {
  const connections: net.Socket[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/watch') res.writeHead(200).write('');
    else req.on('end', () => ok(res));
  });
  server.keepAliveTimeout = 0; // only the client may close an idle connection
  server.on('connection', (s) => connections.push(s));
  const dir = where === 'unix' ? await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-pool-')) : '';
  const socketPath = path.join(dir, 'api.sock');
  await new Promise<void>((resolve) =>
    where === 'unix' ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve),
  );
  const url =
    where === 'unix'
      ? 'http://localhost'
      : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    connections,
    transport: (idleTimeoutMs: number) =>
      new Transport({
        server: url,
        token: '',
        caPem: '',
        userAgent: 'test',
        timeoutMs: 10_000,
        idleTimeoutMs,
        ...(where === 'unix' ? { socketPath } : {}),
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

const closed = (s: net.Socket) =>
  s.destroyed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', resolve));

for (const where of ['tcp', 'unix'] as const) {
  describe(`Transport's connection pool (${where})`, () => {
    // The bound turns a connection that is never closed into a failure, not a hang.
    it(
      'reuses an idle connection, and closes it once idle for idleTimeoutMs',
      { timeout: 20_000 },
      async () => {
        const server = await startPoolServer(where);
        const transport = server.transport(50);
        try {
          await transport.json({ method: 'GET', path: '/a' });
          await transport.json({ method: 'GET', path: '/b' });
          assert.equal(server.connections.length, 1, 'the second request reused the first socket');
          // The client ends the connection; the server never would (keepAliveTimeout 0).
          await closed(server.connections[0]!);
          await transport.json({ method: 'GET', path: '/c' });
          assert.equal(
            server.connections.length,
            2,
            'a fresh connection after the idle one closed',
          );
        } finally {
          transport.close();
          await server.close();
        }
      },
    );

    it('does not cut a quiet stream that outlasts idleTimeoutMs', async () => {
      const server = await startPoolServer(where);
      const transport = server.transport(50);
      try {
        const res = await transport.stream({ method: 'GET', path: '/watch' });
        // The socket's idle timer fires while the stream waits for data…
        await new Promise((resolve) => res.socket.once('timeout', resolve));
        // …and the stream still carries what the server sends next.
        const line = new Promise<string>((resolve) => res.once('data', (b) => resolve(String(b))));
        const conn = server.connections[0]!;
        conn.write('5\r\nhello\r\n');
        assert.equal(await line, 'hello');
        assert.equal(conn.destroyed, false);
        res.destroy();
      } finally {
        transport.close();
        await server.close();
      }
    });
  });
}
