import type http from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { rejectUpgrade } from './upgrade.ts';

// WebSocket plumbing over the `ws` package. `ws` answers the client's pings by itself
// (autoPong), which kubectl needs: it pings every 5 s and gives up after 61 s without a pong.

/**
 * Completes the WebSocket handshake with `protocol` as the subprotocol (none when undefined).
 * Rejects with a `StreamUpgradeError` after answering an invalid handshake.
 */
export function acceptWebSocket(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string | undefined,
): Promise<WebSocket> {
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    handleProtocols: () => protocol ?? false,
  });
  return new Promise((resolve, reject) => {
    server.once('wsClientError', (err: Error) => {
      reject(rejectUpgrade(socket, 400, 'BadRequest', `unable to upgrade: ${err.message}`));
    });
    // `ws` accepts only RFC 7230 tokens as subprotocols and refuses kubectl's
    // `SPDY/3.1+portforward.k8s.io` for its '/'. The choice is made already, so `ws` is shown
    // a token in its place while it reads the request (synchronously), and answers with the
    // real name, as Go's servers do.
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined) req.headers['sec-websocket-protocol'] = 'negotiated';
    try {
      server.handleUpgrade(req, socket, head, (ws) => resolve(ws));
    } finally {
      if (offered !== undefined) req.headers['sec-websocket-protocol'] = offered;
    }
  });
}

/** Binary message data as one Buffer, whatever shape `ws` delivered it in. */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A byte stream carried in binary WebSocket messages, with no framing of its own: how
 * kubectl >= 1.31 tunnels SPDY for port-forward (apimachinery's TunnelingConnection). Message
 * boundaries mean nothing; each write becomes one message. Emits 'close' once the WebSocket
 * has closed; destroying it closes the WebSocket (code 1000).
 */
export function webSocketTunnel(ws: WebSocket): Duplex {
  const tunnel = new Duplex({
    readableHighWaterMark: 256 * 1024,
    writableHighWaterMark: 256 * 1024,
    read() {
      if (ws.isPaused) ws.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback();
      ws.send(chunk, { binary: true }, () => callback());
    },
    final(callback) {
      ws.close(1000);
      callback();
    },
    destroy(err, callback) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        if (err) ws.terminate();
        else ws.close(1000);
      }
      callback(err);
    },
  });
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    if (!tunnel.push(messageBytes(data))) ws.pause();
  });
  ws.once('close', () => {
    tunnel.push(null);
    tunnel.destroy();
  });
  ws.on('error', (err) => tunnel.destroy(err));
  return tunnel;
}
