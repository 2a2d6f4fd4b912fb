import http from 'node:http';
import type { Duplex } from 'node:stream';
import { failureStatus } from './status.ts';

// The HTTP half of the upgrade, shared by exec and port-forward. The agent's server hands
// over the raw socket from the 'upgrade' event; from here on this module owns it: either it
// becomes the stream connection, or an HTTP error goes out and the socket is closed.

/** The upgrade could not be done; the client has already been answered with `code`. */
export class StreamUpgradeError extends Error {
  override name = 'StreamUpgradeError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function headerValues(req: http.IncomingMessage, name: string): string[] {
  const raw = req.headers[name];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return headerValues(req, 'upgrade').some((v) => v.toLowerCase() === 'websocket');
}

/** apimachinery's test: `Connection` mentions upgrade and `Upgrade` mentions SPDY/3.1. */
export function isSpdyUpgrade(req: http.IncomingMessage): boolean {
  return (
    headerValues(req, 'connection').some((v) => v.toLowerCase() === 'upgrade') &&
    headerValues(req, 'upgrade').some((v) => v.toLowerCase().includes('spdy/3.1'))
  );
}

/** The WebSocket subprotocols the client offered, in its order of preference. */
export function offeredWebSocketProtocols(req: http.IncomingMessage): string[] {
  return headerValues(req, 'sec-websocket-protocol');
}

/** The first of the client's protocols (it lists them by preference) the server supports. */
export function negotiate(offered: string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/**
 * Answers the SPDY upgrade as apimachinery's httpstream does: `X-Stream-Protocol-Version`
 * (one header per offered version) is negotiated, then 101 with `Upgrade: SPDY/3.1`.
 * Returns the chosen protocol; throws `StreamUpgradeError` after answering a failure.
 */
export function acceptSpdyUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  supported: readonly string[],
): string {
  const offered = headerValues(req, 'x-stream-protocol-version');
  const protocol = negotiate(offered, supported);
  if (!protocol) {
    const message =
      offered.length === 0
        ? 'unable to upgrade: X-Stream-Protocol-Version is required'
        : `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`;
    const accepted = supported.map((p): [string, string] => [
      'X-Accepted-Stream-Protocol-Versions',
      p,
    ]);
    if (offered.length === 0) throw rejectUpgrade(socket, 400, 'BadRequest', message);
    throw rejectUpgrade(socket, 403, 'Forbidden', message, accepted);
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      'Upgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  return protocol;
}

/**
 * Refuses an upgrade request with an HTTP error carrying a metav1.Status with `reason`
 * (`BadRequest`, `NotFound`, …; kubectl shows its message), closes the socket, and returns
 * the matching error for the caller to throw.
 * kubectl >= 1.30 retries a refused WebSocket upgrade over SPDY before giving up.
 */
export function rejectUpgrade(
  socket: Duplex,
  code: number,
  reason: string,
  message: string,
  extraHeaders: Array<[string, string]> = [],
): StreamUpgradeError {
  const body = JSON.stringify(failureStatus(code, reason, message));
  const head = [
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...extraHeaders.map(([name, value]) => `${name}: ${value}`),
  ];
  if (socket.writable) {
    socket.once('finish', () => socket.destroy());
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  } else {
    socket.destroy();
  }
  return new StreamUpgradeError(code, message);
}
