import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdyConnection } from './spdy/connection.ts';
import { RstStatus } from './spdy/frames.ts';
import type { SpdyStream } from './spdy/stream.ts';
import type { PortForwardHandler, PortForwardSession, StreamTransport } from './types.ts';
import {
  acceptSpdyUpgrade,
  isSpdyUpgrade,
  isWebSocketUpgrade,
  offeredWebSocketProtocols,
  rejectUpgrade,
} from './upgrade.ts';
import { acceptWebSocket, webSocketTunnel } from './websocket.ts';

// port-forward speaks SPDY/3.1 (`portforward.k8s.io`), either straight after an HTTP upgrade
// (kubectl <= 1.30) or carried in binary WebSocket messages under the subprotocol
// `SPDY/3.1+portforward.k8s.io` (kubectl >= 1.31). For every local connection kubectl opens
// two streams with headers `streamtype` (error|data), `port` and a shared `requestid`; the
// pair is one forwarded connection. The error stream carries a failure message, if any, and
// ends when the forwarded connection is over, which is what kubectl waits for.

const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** The kubelet's default for how long the second stream of a pair may take. */
const STREAM_PAIR_TIMEOUT_MS = 30_000;

/**
 * Upgrades a port-forward request and calls `onConnection` for each connection kubectl
 * forwards; resolves once upgraded. Takes over `socket`: on failure the client has been
 * answered and the promise rejects with a `StreamUpgradeError`. Check that the pod runs
 * before calling.
 */
export async function acceptPortForward(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onConnection: PortForwardHandler,
): Promise<PortForwardSession> {
  let transport: Duplex;
  let kind: StreamTransport;
  if (isWebSocketUpgrade(req)) {
    if (!offeredWebSocketProtocols(req).includes(TUNNEL_PROTOCOL)) {
      const message = `unable to upgrade: port-forward over WebSocket needs the subprotocol ${TUNNEL_PROTOCOL}`;
      throw rejectUpgrade(socket, 400, 'BadRequest', message);
    }
    transport = webSocketTunnel(await acceptWebSocket(req, socket, head, TUNNEL_PROTOCOL));
    kind = 'websocket';
  } else if (isSpdyUpgrade(req)) {
    acceptSpdyUpgrade(req, socket, [PORT_FORWARD_PROTOCOL]);
    if (head.length > 0) socket.unshift(head);
    transport = socket;
    kind = 'spdy';
  } else {
    throw rejectUpgrade(
      socket,
      400,
      'BadRequest',
      'unable to upgrade: missing upgrade headers in request',
    );
  }
  const pairs = new StreamPairs(onConnection);
  const connection = new SpdyConnection(transport, { onStream: (stream) => pairs.add(stream) });
  connection.signal.addEventListener('abort', () => pairs.clear());
  return { transport: kind, closed: connection.signal, close: () => connection.destroy() };
}

interface PendingPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

class StreamPairs {
  readonly #pending = new Map<string, PendingPair>();

  constructor(readonly onConnection: PortForwardHandler) {}

  add(stream: SpdyStream): void {
    const type = stream.header('streamtype');
    const port = Number(stream.header('port'));
    if (
      (type !== 'error' && type !== 'data') ||
      !Number.isInteger(port) ||
      port < 1 ||
      port > 65535
    ) {
      if (type === 'error')
        stream.end(`invalid port-forward stream: port ${stream.header('port')}`);
      else stream.reset(RstStatus.protocolError);
      return;
    }
    // Clients from before request ids sent each pair as consecutive streams, error first:
    // the kubelet pairs them by stream id, and so does this.
    const requestId =
      stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = this.#pending.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => this.#expire(requestId), STREAM_PAIR_TIMEOUT_MS);
      pair = { timer };
      this.#pending.set(requestId, pair);
    }
    if (pair[type]) {
      stream.reset(RstStatus.protocolError);
      return;
    }
    pair[type] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      this.#pending.delete(requestId);
      this.#start(port, pair.error, pair.data);
    }
  }

  clear(): void {
    for (const pair of this.#pending.values()) clearTimeout(pair.timer);
    this.#pending.clear();
  }

  #expire(requestId: string): void {
    const pair = this.#pending.get(requestId);
    this.#pending.delete(requestId);
    pair?.error?.end('timed out waiting for the port-forward data stream');
    pair?.data?.reset();
  }

  #start(port: number, errorStream: SpdyStream, data: SpdyStream): void {
    errorStream.resume(); // kubectl closes its half at once; reading lets it end
    let finished = false;
    const finish = (message?: string) => {
      if (finished) return;
      finished = true;
      errorStream.end(message);
    };
    data.once('finish', () => finish());
    data.once('close', () => finish());
    this.onConnection(port, data, (message) => {
      finish(message);
      data.destroy();
    });
  }
}
