import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeData, encodeSynStream, FrameParser, type Frame } from './frames.ts';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
  type SpdyHeaders,
} from './header-block.ts';

// Test support: the client end of a SPDY connection, playing kubectl's part with this
// package's own framing, and recording everything the server sends.

export type ReceivedFrame = Frame & { replyHeaders?: SpdyHeaders };

export class SpdyTestClient {
  readonly frames: ReceivedFrame[] = [];
  readonly #parser = new FrameParser();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #waiters = new Set<() => void>();
  #nextStreamId = 1;
  #pending: Promise<void> = Promise.resolve();
  closed = false;

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#parser.push(chunk)) this.#record(frame);
    });
    socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
    socket.on('error', () => {});
  }

  /** Opens a stream like kubectl's CreateStream; returns its id. */
  open(headers: Record<string, string>, opts: { fin?: boolean } = {}): number {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const block = this.#compressor.compress(encodeHeaderBlock(Object.entries(headers)));
    this.socket.write(encodeSynStream(id, block, opts));
    return id;
  }

  send(streamId: number, data: Buffer | string, fin = false): void {
    this.socket.write(encodeData(streamId, Buffer.from(data), fin));
  }

  /** Everything received on a stream, and whether the server finished it. */
  received(streamId: number): { data: Buffer; fin: boolean; reset: boolean } {
    const frames = this.frames.filter((f) => 'streamId' in f && f.streamId === streamId);
    const data = frames.flatMap((f) => (f.kind === 'data' ? [f.data] : []));
    return {
      data: Buffer.concat(data),
      fin: frames.some((f) => (f.kind === 'data' || f.kind === 'synReply') && f.fin),
      reset: frames.some((f) => f.kind === 'rstStream'),
    };
  }

  /** Resolves once `condition` holds, re-checked as frames arrive (the test's timeout bounds it). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  #record(frame: Frame): void {
    if (frame.kind === 'synReply' || frame.kind === 'headers') {
      // Inflated in order; recorded once the headers are known.
      const inflated = this.#decompressor.decompress(frame.headerBlock);
      inflated.catch(() => {}); // fails only once the client is closed
      this.#pending = this.#pending
        .then(async () => {
          this.frames.push({ ...frame, replyHeaders: decodeHeaderBlock(await inflated) });
          this.#notify();
        })
        .catch(() => {});
      return;
    }
    this.#pending = this.#pending.then(() => {
      this.frames.push(frame);
      this.#notify();
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  close(): void {
    this.#decompressor.close();
    this.socket.destroy();
  }
}

/** Sends an upgrade request to `port` and resolves with the 101 response and its socket. */
export function upgradeRequest(
  port: number,
  path: string,
  headers: Record<string, string | string[]>,
  method = 'POST',
): Promise<{ response: http.IncomingMessage; socket: net.Socket; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers });
    req.on('upgrade', (response, socket) => resolve({ response, socket }));
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ response, socket: response.socket as net.Socket, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A bare WebSocket client carrying a byte stream in binary messages, like kubectl's
 * TunnelingConnection. (The `ws` client, like its server, refuses subprotocol names with '/'.)
 */
export async function webSocketClientTunnel(
  port: number,
  path: string,
  protocol: string,
): Promise<{ tunnel: Duplex; protocol: string | undefined }> {
  const { response, socket } = await upgradeRequest(
    port,
    path,
    {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': protocol,
    },
    'GET',
  );
  if (response.statusCode !== 101) throw new Error(`WebSocket upgrade: ${response.statusCode}`);
  const frame = (opcode: number, payload: Buffer): Buffer => {
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length])
        : Buffer.from([0x80 | opcode, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    if (length >= 126) header.writeUInt32BE(length, 6);
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    return Buffer.concat([header, mask, masked]);
  };
  const tunnel = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      socket.write(frame(0x2, chunk), () => callback());
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const opcode = pending[0]! & 0x0f;
      let length = pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) [length, offset] = [pending.readUInt16BE(2), 4];
      else if (length === 127) [length, offset] = [Number(pending.readBigUInt64BE(2)), 10];
      if (pending.length < offset + length) break;
      const payload = pending.subarray(offset, offset + length);
      pending = pending.subarray(offset + length);
      if (opcode === 0x0 || opcode === 0x2) tunnel.push(payload);
      else if (opcode === 0x9) socket.write(frame(0xa, payload));
      else if (opcode === 0x8) tunnel.push(null);
    }
  });
  socket.on('close', () => tunnel.destroy());
  const chosen = response.headers['sec-websocket-protocol'];
  return { tunnel, protocol: Array.isArray(chosen) ? chosen[0] : chosen };
}
