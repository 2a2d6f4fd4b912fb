// SPDY/3 framing (draft-mbelshe-httpbis-spdy-00 §2.2). Every frame has an 8-byte header; the
// top bit tells control frames (version 3, a 16-bit type) from data frames (a 31-bit stream
// id), and the second word carries 8 bits of flags and a 24-bit payload length. Header blocks
// inside SYN_STREAM, SYN_REPLY and HEADERS stay compressed here: they must be inflated in
// arrival order through the connection's one zlib stream (header-block.ts).

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** The largest payload a frame can describe (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  cancel: 5,
  internalError: 6,
  streamInUse: 8,
} as const;

export const GoAwayStatus = { ok: 0, protocolError: 1, internalError: 2 } as const;

export type Frame =
  | { kind: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      kind: 'synStream';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headerBlock: Buffer;
    }
  | { kind: 'synReply' | 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'settings'; entries: Array<{ id: number; flags: number; value: number }> }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastGoodStreamId: number; status: number }
  | { kind: 'windowUpdate'; streamId: number; delta: number }
  /** Control frames of other types: the spec says to ignore them. */
  | { kind: 'unknown'; type: number; flags: number; payload: Buffer };

/** A peer broke the framing; the connection cannot continue (answer with GOAWAY). */
export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

const STREAM_ID_MASK = 0x7fffffff;

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(8 + payload.length);
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  frame.writeUInt16BE(type, 2);
  frame.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  payload.copy(frame, 8);
  return frame;
}

function words(...values: number[]): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32BE(v >>> 0, i * 4));
  return buf;
}

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new RangeError('data frame payload too large');
  const frame = Buffer.allocUnsafe(8 + data.length);
  frame.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  frame.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
  data.copy(frame, 8);
  return frame;
}

export function encodeSynStream(
  streamId: number,
  headerBlock: Buffer,
  opts: { fin?: boolean; priority?: number; associatedStreamId?: number } = {},
): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  fixed.writeUInt32BE((opts.associatedStreamId ?? 0) & STREAM_ID_MASK, 4);
  fixed[8] = ((opts.priority ?? 0) & 0x7) << 5;
  const payload = Buffer.concat([fixed, headerBlock]);
  return controlFrame(FrameType.synStream, opts.fin ? FLAG_FIN : 0, payload);
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  const payload = Buffer.concat([words(streamId & STREAM_ID_MASK), headerBlock]);
  return controlFrame(FrameType.synReply, fin ? FLAG_FIN : 0, payload);
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.rstStream, 0, words(streamId & STREAM_ID_MASK, status));
}

export function encodeSettings(entries: Array<{ id: number; value: number }>): Buffer {
  const payload = words(entries.length, ...entries.flatMap((e) => [e.id & 0xffffff, e.value]));
  return controlFrame(FrameType.settings, 0, payload);
}

export function encodePing(id: number): Buffer {
  return controlFrame(FrameType.ping, 0, words(id));
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(FrameType.goAway, 0, words(lastGoodStreamId & STREAM_ID_MASK, status));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return controlFrame(FrameType.windowUpdate, 0, words(streamId & STREAM_ID_MASK, delta));
}

function need(payload: Buffer, length: number, what: string): void {
  if (payload.length < length) throw new SpdyProtocolError(`${what} frame too short`);
}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.synStream:
      need(p, 10, 'SYN_STREAM');
      return {
        kind: 'synStream',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        associatedStreamId: p.readUInt32BE(4) & STREAM_ID_MASK,
        priority: p[8]! >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: p.subarray(10),
      };
    case FrameType.synReply:
    case FrameType.headers:
      need(p, 4, 'SYN_REPLY/HEADERS');
      return {
        kind: type === FrameType.synReply ? 'synReply' : 'headers',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        fin,
        headerBlock: p.subarray(4),
      };
    case FrameType.rstStream:
      need(p, 8, 'RST_STREAM');
      return {
        kind: 'rstStream',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        status: p.readUInt32BE(4),
      };
    case FrameType.settings: {
      need(p, 4, 'SETTINGS');
      const count = p.readUInt32BE(0);
      need(p, 4 + count * 8, 'SETTINGS');
      const entries = Array.from({ length: count }, (_, i) => ({
        flags: p[4 + i * 8]!,
        id: p.readUInt32BE(4 + i * 8) & 0xffffff,
        value: p.readUInt32BE(8 + i * 8),
      }));
      return { kind: 'settings', entries };
    }
    case FrameType.ping:
      need(p, 4, 'PING');
      return { kind: 'ping', id: p.readUInt32BE(0) };
    case FrameType.goAway:
      need(p, 4, 'GOAWAY');
      return {
        kind: 'goAway',
        lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        // SPDY/2 peers send no status word.
        status: p.length >= 8 ? p.readUInt32BE(4) : GoAwayStatus.ok,
      };
    case FrameType.windowUpdate:
      need(p, 8, 'WINDOW_UPDATE');
      return {
        kind: 'windowUpdate',
        streamId: p.readUInt32BE(0) & STREAM_ID_MASK,
        delta: p.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      return { kind: 'unknown', type, flags, payload: p };
  }
}

/**
 * Cuts a byte stream into frames. Bytes arrive in arbitrary pieces (Go's framer writes each
 * field separately, and a WebSocket tunnel re-chunks them), so a partial frame is kept until
 * the rest arrives.
 */
export class FrameParser {
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** Size of the frame at the head of `#pending` once its header is known, else 0. */
  #needed = 0;

  constructor(readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  /** Returns the frames completed by `chunk`. Throws `SpdyProtocolError`. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.#pendingLength >= 8) {
      if (this.#needed === 0) {
        const head = this.#pending[0]!;
        const header = head.length >= 8 ? head : Buffer.concat(this.#pending, 8);
        const length = header.readUInt32BE(4) & 0xffffff;
        if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes`);
        this.#needed = 8 + length;
      }
      // Joined only once the whole frame is here, so a big frame in small pieces costs one copy.
      if (this.#pendingLength < this.#needed) break;
      const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      frames.push(decodeFrame(buf.subarray(0, this.#needed)));
      const rest = buf.subarray(this.#needed);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingLength = rest.length;
      this.#needed = 0;
    }
    return frames;
  }
}

function decodeFrame(frame: Buffer): Frame {
  const flags = frame[4]!;
  const payload = frame.subarray(8);
  if ((frame[0]! & 0x80) === 0) {
    const streamId = frame.readUInt32BE(0) & STREAM_ID_MASK;
    return { kind: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: payload };
  }
  const version = frame.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`SPDY version ${version}`);
  return decodeControl(frame.readUInt16BE(2), flags, payload);
}
