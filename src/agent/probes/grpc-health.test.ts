import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Probe } from '../k8s-types.ts';
import type { RuntimeDriver } from '../runtime/types.ts';
import {
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  frame,
  unframe,
} from './grpc-health.ts';
import { runProbe } from './run-probe.ts';

// gRPC probes through runProbe against real servers on loopback: one written here on
// node's http2 module, byte by byte, so the wire format is checked independently of the
// client's codec; and one from @grpc/grpc-js (already installed, through etcd3), a real
// gRPC implementation. Messages are the kubelet's.

const HOST = '127.0.0.1';
const noRuntime = {} as RuntimeDriver;
const probeAt = (port: number, grpcAction: Omit<NonNullable<Probe['grpc']>, 'port'> = {}) =>
  runProbe(
    noRuntime,
    { grpc: { port, ...grpcAction }, timeoutSeconds: 1 },
    { containerId: 'c1', container: { name: 'main' }, podIP: HOST },
  );

/** HealthCheckRequest.service, read by hand: tag 0x0a, a one-byte length, the bytes. */
function serviceOf(message: Buffer): string {
  if (message.length === 0) return '';
  assert.equal(message[0], 0x0a);
  return message.subarray(2, 2 + message[1]!).toString();
}

/** HealthCheckResponse by hand: tag 0x08 and the status; UNKNOWN (0) is left out. */
const response = (status: number) => Buffer.from(status === 0 ? [] : [0x08, status]);

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, HOST, () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('gRPC health messages', () => {
  it('encodes HealthCheckRequest: "" is the empty message', () => {
    assert.deepEqual(encodeHealthCheckRequest(''), Buffer.alloc(0));
    assert.deepEqual(encodeHealthCheckRequest('db'), Buffer.from([0x0a, 2, 0x64, 0x62]));
    const long = 'x'.repeat(200);
    assert.deepEqual(encodeHealthCheckRequest(long).subarray(0, 3), Buffer.from([0x0a, 200, 1]));
  });

  it('decodes HealthCheckResponse, skipping fields it does not know', () => {
    const cases: [string, number[], number][] = [
      ['empty is UNKNOWN', [], 0],
      ['SERVING', [0x08, 1], 1],
      ['NOT_SERVING', [0x08, 2], 2],
      [
        'unknown fields around it',
        [0x12, 1, 0x78, 0x08, 3, 0x1d, 0, 0, 0, 0, 0x21, ...Array(8).fill(0)],
        3,
      ],
      ['last one wins', [0x08, 1, 0x08, 2], 2],
      ['negative enum, ten bytes', [0x08, ...Array(9).fill(0xff), 0x01], -1],
    ];
    for (const [what, bytes, status] of cases) {
      assert.equal(decodeHealthCheckResponse(Buffer.from(bytes)), status, what);
    }
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x12, 5, 1])), /truncated/);
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x08, 0x80])), /bad varint/);
  });

  it('frames one message with a 5-byte prefix, and unframes exactly one', () => {
    assert.deepEqual(frame(Buffer.from([0x08, 1])), Buffer.from([0, 0, 0, 0, 2, 0x08, 1]));
    assert.deepEqual(unframe(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), Buffer.from([0x08, 1]));
    assert.throws(() => unframe(Buffer.alloc(0)), /received no response message/);
    assert.throws(() => unframe(Buffer.from([1, 0, 0, 0, 0])), /compressed/);
    assert.throws(() => unframe(Buffer.from([0, 0, 0, 0, 3, 0x08, 1])), /truncated/);
    assert.throws(() => unframe(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), /cardinality/);
  });
});

describe('gRPC probe against an HTTP/2 server written here', () => {
  const h2 = http2.createServer();
  const requests: { headers: http2.IncomingHttpHeaders; body: Buffer }[] = [];
  let port = 0;

  before(async () => {
    h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        requests.push({ headers, body });
        if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
          stream.respond({ ':status': 404, 'content-type': 'text/plain' });
          stream.end('not here');
          return;
        }
        const service = serviceOf(body.subarray(5));
        if (service === 'slow') return; // never answers
        const statusByService: Record<string, number> = { '': 1, down: 2, starting: 0 };
        const status = statusByService[service];
        if (status === undefined) {
          // Trailers-only, as servers answer a call that fails at once.
          stream.respond(
            {
              ':status': 200,
              'content-type': 'application/grpc',
              'grpc-status': '5',
              'grpc-message': 'unknown%20service',
            },
            { endStream: true },
          );
          return;
        }
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          {
            waitForTrailers: true,
          },
        );
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        const message = response(status);
        const prefix = Buffer.from([0, 0, 0, 0, message.length]);
        stream.end(Buffer.concat([prefix, message]));
      });
    });
    port = await listen(h2);
  });
  after(() => close(h2));

  it('succeeds on SERVING, sending the request gRPC expects', async () => {
    requests.length = 0;
    assert.deepEqual(await probeAt(port), { ok: true, message: 'service healthy' });
    const [{ headers, body }] = requests as [(typeof requests)[0]];
    assert.equal(headers[':method'], 'POST');
    assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
    assert.equal(headers['content-type'], 'application/grpc');
    assert.equal(headers.te, 'trailers');
    assert.match(String(headers['user-agent']), /^kube-probe\/1\.\d+/);
    assert.match(String(headers['grpc-timeout']), /^\d+m$/);
    assert.deepEqual(body, Buffer.from([0, 0, 0, 0, 0]), 'service "" is an empty message');
  });

  it('fails every answer but SERVING, with the kubelet messages', async () => {
    const cases: [string, string][] = [
      ['down', 'service unhealthy (responded with "NOT_SERVING")'],
      ['starting', 'service unhealthy (responded with "UNKNOWN")'],
      ['nope', 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service'],
      ['slow', 'timeout: health rpc did not complete within 1s'],
    ];
    for (const [service, message] of cases) {
      assert.deepEqual(await probeAt(port, { service }), { ok: false, message }, service);
    }
    assert.deepEqual(
      requests.at(-1)!.body,
      Buffer.from([0, 0, 0, 0, 6, 0x0a, 4, ...Buffer.from('slow')]),
    );
  });
});

describe('gRPC probe against servers that are not there or not gRPC', () => {
  it('fails on a closed port: connection refused', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await close(server);
    assert.deepEqual(await probeAt(port), {
      ok: false,
      message: `error: failed to connect service at "${HOST}:${port}": dial tcp ${HOST}:${port}: connect: connection refused`,
    });
  });

  it('times out connecting to a listener that never speaks HTTP/2', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s.on('error', () => {})));
    const port = await listen(server);
    try {
      assert.deepEqual(await probeAt(port), {
        ok: false,
        message: `timeout: failed to connect service "${HOST}:${port}" within 1s: context deadline exceeded`,
      });
    } finally {
      for (const s of sockets) s.destroy();
      await close(server);
    }
  });

  it('says Unimplemented for an HTTP/2 server without the health service', async () => {
    const server = http2.createServer((_req, res) => res.writeHead(404).end('no'));
    const port = await listen(server);
    try {
      assert.deepEqual(await probeAt(port), {
        ok: false,
        message:
          'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unexpected HTTP status code received from server: 404 (Not Found)',
      });
    } finally {
      await close(server);
    }
  });
});

describe('gRPC probe against @grpc/grpc-js', () => {
  const server = new grpc.Server();
  let withHealth = 0;
  let withoutHealth = 0;
  const bare = new grpc.Server();
  const statusByService: Record<string, number> = { '': 1, down: 2 };

  before(async () => {
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: () => Buffer.alloc(0),
          // An object: grpc-js takes a falsy request ("") for no request at all.
          requestDeserialize: (b: Buffer) => ({ service: serviceOf(b) }),
          responseSerialize: response,
          responseDeserialize: (b: Buffer) => b[1] ?? 0,
        },
      },
      {
        Check: (
          call: grpc.ServerUnaryCall<{ service: string }, number>,
          callback: grpc.sendUnaryData<number>,
        ) => {
          const status = statusByService[call.request.service];
          if (status === undefined) {
            callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          } else {
            callback(null, status);
          }
        },
      },
    );
    const bind = (s: grpc.Server) =>
      new Promise<number>((resolve, reject) =>
        s.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
    withHealth = await bind(server);
    withoutHealth = await bind(bare);
  });
  after(() => {
    server.forceShutdown();
    bare.forceShutdown();
  });

  it('succeeds on SERVING and fails otherwise', async () => {
    assert.deepEqual(await probeAt(withHealth), { ok: true, message: 'service healthy' });
    assert.deepEqual(await probeAt(withHealth, { service: 'down' }), {
      ok: false,
      message: 'service unhealthy (responded with "NOT_SERVING")',
    });
    assert.deepEqual(await probeAt(withHealth, { service: 'gone' }), {
      ok: false,
      message: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  it('says Unimplemented for a gRPC server without the health service', async () => {
    const outcome = await probeAt(withoutHealth);
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.message,
      /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): .*\/grpc\.health\.v1\.Health\/Check/,
    );
  });
});
