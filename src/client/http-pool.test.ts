import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HttpPool, RequestFailure, ResponseParser } from './http-pool.ts';

/** Feeds `text` to a parser in pieces of `size` bytes; the response once complete. */
function parse(text: string, size: number, method = 'GET') {
  const parser = new ResponseParser(method === 'HEAD');
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) {
    const res = parser.push(bytes.subarray(i, i + size));
    if (res) return { status: res.status, body: res.body.toString('utf8'), parser };
  }
  const res = parser.end();
  return res ? { status: res.status, body: res.body.toString('utf8'), parser } : undefined;
}

describe('ResponseParser', () => {
  const sizes = [1, 3, 7, 1000];

  it('reads a Content-Length body, however the bytes arrive', () => {
    const text =
      'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{"kind":"Pod"}';
    for (const size of sizes) {
      const r = parse(text, size);
      assert.deepEqual([r?.status, r?.body, r?.parser.keepAlive], [201, '{"kind":"Pod"}', true]);
    }
  });

  it('reads a chunked body with extensions and trailers, split anywhere, even in a character', () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;ext=1\r\n{"a":\r\n' +
      '9\r\n"héllo"}\r\n' +
      '0\r\nX-Trailer: yes\r\n\r\n';
    for (const size of sizes) {
      assert.deepEqual(parse(text, size)?.body, '{"a":"héllo"}', `pieces of ${size}`);
    }
    assert.equal(
      parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 2)?.body,
      '',
    );
  });

  it('has no body for 204, 304 and HEAD, and skips informational answers', () => {
    assert.equal(parse('HTTP/1.1 204 No Content\r\n\r\n', 5)?.status, 204);
    assert.equal(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n', 5)?.body, '');
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', 4, 'HEAD')?.body, '');
    const r = parse(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}',
      3,
    );
    assert.deepEqual([r?.status, r?.body], [200, '{}']);
  });

  it('reads a body without length to the connection end, and does not reuse it', () => {
    const r = parse('HTTP/1.1 200 OK\r\n\r\n{"whole":true}', 4);
    assert.deepEqual([r?.body, r?.parser.keepAlive], ['{"whole":true}', false]);
  });

  it('follows Connection, the HTTP version and the Keep-Alive timeout', () => {
    const closing = parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 100);
    assert.equal(closing?.parser.keepAlive, false);
    const old = parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 100);
    assert.equal(old?.parser.keepAlive, false);
    const hinted = parse(
      'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n',
      100,
    );
    assert.deepEqual([hinted?.parser.keepAlive, hinted?.parser.keepAliveHintMs], [true, 5000]);
  });

  it('rejects what is not an HTTP/1.x response', () => {
    assert.throws(() => parse('SSH-2.0-OpenSSH\r\n\r\n', 100), /not an HTTP\/1\.x response/);
    assert.throws(
      () => parse('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 100),
      /bad Content-Length/,
    );
    assert.throws(
      () => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 100),
      /bad chunk size/,
    );
    assert.throws(
      () => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', 100),
      /longer than its size says/,
    );
  });
});

async function withServer(
  handler: http.RequestListener,
  body: (pool: HttpPool, connections: net.Socket[]) => Promise<void>,
  configure: (server: http.Server) => void = () => undefined,
  idleTimeoutMs = 10_000,
): Promise<void> {
  const server = http.createServer(handler);
  configure(server);
  const connections: net.Socket[] = [];
  server.on('connection', (s) => connections.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const pool = new HttpPool({
    host: '127.0.0.1',
    port,
    hostHeader: `127.0.0.1:${port}`,
    idleTimeoutMs,
  });
  try {
    await body(pool, connections);
  } finally {
    pool.destroy(new Error('test over'));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const get = (path: string, extra: Partial<Parameters<HttpPool['request']>[0]> = {}) => ({
  method: 'GET',
  path,
  headers: { Accept: 'application/json' },
  timeoutMs: 5_000,
  describe: `GET ${path}`,
  ...extra,
});

describe('HttpPool', () => {
  it('sends method, path, headers and body, and reuses the connection', async () => {
    const seen: string[] = [];
    await withServer(
      (req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          seen.push(
            `${req.method} ${req.url} ${req.headers.host} ${req.headers['x-test']} ${body}`,
          );
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
        });
      },
      async (pool, connections) => {
        const post = await pool.request({
          method: 'POST',
          path: '/a?b=c',
          headers: { 'X-Test': 'yes' },
          body: Buffer.from('{"n":1}'),
          timeoutMs: 5_000,
          describe: 'POST /a',
        });
        assert.deepEqual([post.status, post.body.toString()], [200, '{"ok":true}']);
        await pool.request(get('/second'));
        assert.equal(connections.length, 1, 'one connection for both');
        assert.match(seen[0]!, /^POST \/a\?b=c 127\.0\.0\.1:\d+ yes \{"n":1\}$/);
        assert.match(seen[1]!, /^GET \/second /);
      },
    );
  });

  it('reads chunked answers from a server that streams its body', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200);
        res.write('{"part":');
        setTimeout(() => res.end('"two"}'), 20);
      },
      async (pool) => {
        const res = await pool.request(get('/chunked'));
        assert.equal(res.body.toString(), '{"part":"two"}');
      },
    );
  });

  it('reads a body of many megabytes, with and without Content-Length', async () => {
    const big = JSON.stringify({ items: 'x'.repeat(5 * 1024 * 1024) });
    await withServer(
      (req, res) => {
        if (req.url === '/sized') res.writeHead(200, { 'Content-Length': big.length }).end(big);
        else {
          res.writeHead(200);
          for (let i = 0; i < big.length; i += 100_000) res.write(big.slice(i, i + 100_000));
          res.end();
        }
      },
      async (pool) => {
        assert.equal((await pool.request(get('/sized'))).body.toString(), big);
        assert.equal((await pool.request(get('/chunked'))).body.toString(), big);
      },
    );
  });

  it('does not hand out a connection its idle timer has just destroyed', async () => {
    await withServer(
      (_req, res) => res.writeHead(200).end('{}'),
      async (pool, connections) => {
        await pool.request(get('/1'));
        // Made after the idle timer, so it fires right after it in the same turn: the
        // connection is destroyed and its 'close' not yet emitted.
        await new Promise((resolve) => setTimeout(resolve, 1));
        assert.equal((await pool.request(get('/2'))).status, 200);
        assert.equal(connections.length, 2, 'the second request went on a fresh connection');
      },
      () => undefined,
      1,
    );
  });

  it('opens a fresh connection after the server said Connection: close', async () => {
    await withServer(
      (_req, res) => res.writeHead(200, { Connection: 'close' }).end('{}'),
      async (pool, connections) => {
        await pool.request(get('/1'));
        await pool.request(get('/2'));
        assert.equal(connections.length, 2);
      },
    );
  });

  it("closes an idle connection a second before the server's Keep-Alive timeout", async () => {
    await withServer(
      (_req, res) => res.writeHead(200).end('{}'),
      async (pool, connections) => {
        await pool.request(get('/1'));
        const started = Date.now();
        await new Promise<void>((resolve) => connections[0]!.once('close', () => resolve()));
        const waited = Date.now() - started;
        assert.ok(waited >= 900 && waited < 1900, `closed after ${waited} ms, not ~1 s`);
      },
      (server) => (server.keepAliveTimeout = 2_000),
    );
  });

  it('fails a request cut by the server, saying whether its connection was reused', async () => {
    let n = 0;
    await withServer(
      (req, res) => (++n === 2 ? req.socket.destroy() : res.writeHead(200).end('{}')),
      async (pool) => {
        await pool.request(get('/1'));
        await assert.rejects(
          pool.request(get('/2')),
          (err: RequestFailure) => err.reusedSocket && err.code === 'ECONNRESET',
        );
        assert.equal((await pool.request(get('/3'))).status, 200, 'a fresh connection serves');
      },
    );
  });

  it('gives up after timeoutMs, and on abort', async () => {
    await withServer(
      () => undefined, // never answers
      async (pool) => {
        await assert.rejects(
          pool.request(get('/slow', { timeoutMs: 50 })),
          /GET \/slow: no complete answer within 50 ms/,
        );
        const abort = new AbortController();
        const pending = pool.request(get('/aborted', { signal: abort.signal, timeoutMs: 0 }));
        setTimeout(() => abort.abort(), 20);
        await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
      },
    );
  });

  it('refuses a header value with a line break', async () => {
    await withServer(
      (_req, res) => res.writeHead(200).end('{}'),
      async (pool) => {
        await assert.rejects(
          pool.request(get('/x', { headers: { Authorization: 'Bearer a\r\nX-Evil: 1' } })),
          /header Authorization holds a line break/,
        );
      },
    );
  });
});
