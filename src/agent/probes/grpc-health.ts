import { STATUS_CODES } from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

// A client for one call of the standard gRPC health service, grpc.health.v1.Health/Check,
// over plaintext HTTP/2 (h2c), as the kubelet makes it for a grpc probe. Both messages
// have a single field, so a hand-written protobuf codec replaces a gRPC library:
//
//   message HealthCheckRequest  { string service = 1; }
//   message HealthCheckResponse { ServingStatus status = 1; }
//
// The result is a value, never an exception; run-probe.ts words it as the kubelet does.

export const CHECK_PATH = '/grpc.health.v1.Health/Check';

/** HealthCheckResponse.ServingStatus, by number. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export const SERVING = 1;

/** gRPC status codes, by number, named as grpc-go's codes.Code prints them. */
export const GRPC_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;
export type GrpcCodeName = (typeof GRPC_CODES)[number];
const code = (name: GrpcCodeName) => GRPC_CODES.indexOf(name);

export type HealthCheckResult =
  /** The server answered OK with this ServingStatus number (SERVING is 1). */
  | { kind: 'status'; status: number }
  /** The call ended with a non-OK gRPC status, from the server or from this client. */
  | { kind: 'rpc-error'; code: number; message: string }
  /** No HTTP/2 connection: the dial failed (refused, unreachable, reset). */
  | { kind: 'connect-failed'; error: NodeJS.ErrnoException }
  /** No HTTP/2 connection within the deadline. */
  | { kind: 'connect-timeout' };

export interface HealthCheckOptions {
  host: string;
  port: number;
  /** HealthCheckRequest.service; "" asks about the server as a whole. */
  service: string;
  /** One deadline for connecting and the call together, as the kubelet's context. */
  timeoutMs: number;
  userAgent: string;
}

/** grpc-go's default limit is 4 MiB; a health answer is a few bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function checkHealth(opts: HealthCheckOptions): Promise<HealthCheckResult> {
  const authority = `${net.isIPv6(opts.host) ? `[${opts.host}]` : opts.host}:${opts.port}`;
  return new Promise((resolve) => {
    let settled = false;
    // grpc-go counts a connection as ready once the server's SETTINGS arrived, not at
    // the TCP connect: a listener that never speaks HTTP/2 is a connect timeout.
    let connected = false;
    const session = http2.connect(`http://${authority}`);
    const finish = (result: HealthCheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish(
          connected
            ? {
                kind: 'rpc-error',
                code: code('DeadlineExceeded'),
                message: 'context deadline exceeded',
              }
            : { kind: 'connect-timeout' },
        ),
      opts.timeoutMs,
    );
    const lost = (reason: string, error?: NodeJS.ErrnoException) =>
      finish(
        connected
          ? { kind: 'rpc-error', code: code('Unavailable'), message: reason }
          : { kind: 'connect-failed', error: error ?? new Error(reason) },
      );
    session.once('remoteSettings', () => (connected = true));
    session.on('error', (err: NodeJS.ErrnoException) =>
      lost(`connection error: ${err.message}`, err),
    );
    session.once('close', () => lost('connection closed before the call completed'));

    const stream = session.request({
      ':method': 'POST',
      ':scheme': 'http',
      ':path': CHECK_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': opts.userAgent,
      'grpc-timeout': grpcTimeout(opts.timeoutMs),
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_RESPONSE_BYTES) {
        finish({
          kind: 'rpc-error',
          code: code('ResourceExhausted'),
          message: `grpc: received message larger than max (${received} vs. ${MAX_RESPONSE_BYTES})`,
        });
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => finish(interpret(headers, trailers, Buffer.concat(chunks))));
    // A stream error without a session error is a reset of this call alone (RST_STREAM).
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) lost(`stream error: ${err.message}`);
    });
    stream.end(frame(encodeHealthCheckRequest(opts.service)));
  });
}

/** What a finished call says: HTTP status and content type first, then grpc-status. */
function interpret(
  headers: http2.IncomingHttpHeaders,
  trailers: http2.IncomingHttpHeaders,
  body: Buffer,
): HealthCheckResult {
  const httpStatus = Number(headers[':status'] ?? 0);
  const contentType = String(headers['content-type'] ?? '');
  if (httpStatus !== 200) {
    return {
      kind: 'rpc-error',
      code: grpcCodeOfHttpStatus(httpStatus),
      message: `unexpected HTTP status code received from server: ${httpStatus} (${STATUS_CODES[httpStatus] ?? 'unknown'})`,
    };
  }
  if (!/^application\/grpc($|[+;])/.test(contentType)) {
    return {
      kind: 'rpc-error',
      code: code('Unknown'),
      message: `transport: received unexpected content-type ${JSON.stringify(contentType)}`,
    };
  }
  // A call that fails at once may answer "trailers-only": grpc-status in the headers.
  const grpcStatus = trailers['grpc-status'] ?? headers['grpc-status'];
  if (grpcStatus === undefined) {
    return {
      kind: 'rpc-error',
      code: code('Internal'),
      message: 'server closed the stream without sending trailers',
    };
  }
  const statusCode = Number(grpcStatus);
  if (statusCode !== 0) {
    const raw = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '');
    return { kind: 'rpc-error', code: statusCode, message: percentDecode(raw) };
  }
  try {
    return { kind: 'status', status: decodeHealthCheckResponse(unframe(body)) };
  } catch (err) {
    return {
      kind: 'rpc-error',
      code: code('Internal'),
      message: err instanceof Error ? err.message : String(err),
    };
  }
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The header allows at most 8 digits before the unit. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.ceil(whole / 1000)}S`;
}

/** The gRPC spec's mapping for answers that are not gRPC (http-grpc-status-mapping.md). */
function grpcCodeOfHttpStatus(status: number): number {
  if (status === 400) return code('Internal');
  if (status === 401) return code('Unauthenticated');
  if (status === 403) return code('PermissionDenied');
  if (status === 404) return code('Unimplemented');
  if ([429, 502, 503, 504].includes(status)) return code('Unavailable');
  return code('Unknown');
}

/** A gRPC length-prefixed message: compressed flag 0, big-endian length, bytes. */
export function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The one message of a unary response body. Throws on anything else. */
export function unframe(body: Buffer): Buffer {
  if (body.length < 5) {
    throw new Error(
      body.length === 0
        ? 'cardinality violation: received no response message from non-server-streaming RPC'
        : `grpc: truncated message prefix (${body.length} bytes)`,
    );
  }
  if (body[0] !== 0) throw new Error('grpc: compressed message, but no compression was offered');
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) {
    throw new Error(`grpc: truncated message: ${body.length - 5} of ${length} bytes`);
  }
  if (body.length > 5 + length) {
    throw new Error('cardinality violation: expected <EOF> for non server-streaming RPCs');
  }
  return body.subarray(5);
}

export function encodeHealthCheckRequest(service: string): Buffer {
  // proto3 leaves out a field at its default value: "" is the empty message.
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([(1 << 3) | WIRE_LEN]), varint(bytes.length), bytes]);
}

/** The ServingStatus number; an absent field is 0, UNKNOWN. Unknown fields are skipped. */
export function decodeHealthCheckResponse(message: Buffer): number {
  let status = 0;
  let pos = 0;
  const skip = (n: bigint) => {
    if (n > BigInt(message.length - pos)) throw new Error(`${UNMARSHAL}: truncated field`);
    pos += Number(n);
  };
  while (pos < message.length) {
    const key = readVarint(message, pos);
    pos = key.next;
    const field = key.value >> 3n;
    const wire = Number(key.value & 7n);
    if (wire === WIRE_VARINT) {
      const value = readVarint(message, pos);
      pos = value.next;
      // An enum is an int32 sent as a 64-bit varint: negative values are ten bytes long.
      if (field === 1n) status = Number(BigInt.asIntN(32, value.value));
    } else if (wire === WIRE_LEN) {
      const length = readVarint(message, pos);
      pos = length.next;
      skip(length.value);
    } else if (wire === WIRE_I64) {
      skip(8n);
    } else if (wire === WIRE_I32) {
      skip(4n);
    } else {
      throw new Error(`${UNMARSHAL}: unknown wire type ${wire}`);
    }
  }
  return status;
}

const UNMARSHAL = 'grpc: failed to unmarshal the received message';
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, pos: number): { value: bigint; next: number } {
  let value = 0n;
  for (let i = 0; i < 10 && pos + i < buf.length; i++) {
    const byte = buf[pos + i]!;
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value, next: pos + i + 1 };
  }
  throw new Error(`${UNMARSHAL}: bad varint`);
}
