import { Duplex } from 'node:stream';
import { encodeData, encodeRstStream, encodeWindowUpdate, RstStatus } from './frames.ts';
import type { SpdyHeaders } from './header-block.ts';

// One SPDY stream as a Node Duplex: reading yields the peer's DATA, a DATA frame with FIN
// ends it; writing sends DATA, end() sends FIN. The two halves close independently
// (allowHalfOpen), as SPDY streams do, and the stream is destroyed once both are done.

/** What a stream needs from its connection. */
export interface StreamHost {
  /** Writes a frame; false when the transport's buffer is full (wait for `onDrain`). */
  send(frame: Buffer): boolean;
  onDrain(callback: () => void): void;
  /** `bytes` of this stream's data were handed to the reader (connection window). */
  consumed(bytes: number): void;
  /** The stream's read buffer is full / has room again (transport back-pressure). */
  setBlocked(stream: SpdyStream, blocked: boolean): void;
  forget(stream: SpdyStream): void;
}

/** SPDY/3.1's initial window; updates go out once half of it has been consumed. */
export const INITIAL_WINDOW = 64 * 1024;
const WINDOW_UPDATE_THRESHOLD = INITIAL_WINDOW / 2;
/** Outgoing DATA frames are cut to this size so streams interleave fairly. */
const MAX_DATA_FRAME = 32 * 1024;

export class SpdyStream extends Duplex {
  /** Set by the connection before the stream is handed out. */
  headers: SpdyHeaders = new Map();
  #host: StreamHost;
  #remoteEnded = false;
  #reset = false;
  #finSent = false;
  #notConsumed = 0;
  #consumedNotAcknowledged = 0;

  constructor(
    readonly id: number,
    host: StreamHost,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: 256 * 1024 });
    this.#host = host;
  }

  /** The first value of a header, by lower-case name. */
  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  /** Abandons the stream in both directions with RST_STREAM. */
  reset(status: number = RstStatus.cancel): void {
    if (!this.#reset) {
      this.#reset = true;
      this.#host.send(encodeRstStream(this.id, status));
    }
    this.destroy();
  }

  /** @internal A DATA frame (or a FIN on SYN_STREAM/HEADERS) from the peer. */
  receive(data: Buffer, fin: boolean): void {
    if (this.#remoteEnded || this.destroyed) return; // late data for a finished half: dropped
    if (data.length > 0) {
      this.#notConsumed += data.length;
      if (this.push(data)) this.#consume();
      else this.#host.setBlocked(this, true);
    }
    if (fin) {
      this.#remoteEnded = true;
      this.push(null);
    }
  }

  /** @internal The peer sent RST_STREAM, or the connection is gone. */
  abort(): void {
    this.#reset = true;
    if (!this.#remoteEnded) {
      this.#remoteEnded = true;
      this.push(null);
    }
    this.destroy();
  }

  // Window updates are sent for data the reader has taken (or that fits under the
  // high-water mark), so a peer that honours SPDY/3.1 flow control never stalls on a
  // stream whose reader keeps up, and never sends far ahead of one that does not.
  #consume(): void {
    if (this.#notConsumed === 0) return;
    const bytes = this.#notConsumed;
    this.#notConsumed = 0;
    this.#host.consumed(bytes);
    this.#consumedNotAcknowledged += bytes;
    if (this.#consumedNotAcknowledged >= WINDOW_UPDATE_THRESHOLD && !this.#remoteEnded) {
      this.#host.send(encodeWindowUpdate(this.id, this.#consumedNotAcknowledged));
      this.#consumedNotAcknowledged = 0;
    }
  }

  override _read(): void {
    this.#host.setBlocked(this, false);
    this.#consume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    // After a reset the peer no longer wants the data; dropping it keeps writers error-free.
    if (this.#reset) return callback();
    let ok = true;
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA_FRAME) {
      ok = this.#host.send(
        encodeData(this.id, chunk.subarray(offset, offset + MAX_DATA_FRAME), false),
      );
    }
    if (ok) callback();
    else this.#host.onDrain(callback);
  }

  override _final(callback: () => void): void {
    this.#sendFin();
    callback();
  }

  #sendFin(): void {
    if (this.#reset || this.#finSent) return;
    this.#finSent = true;
    this.#host.send(encodeData(this.id, Buffer.alloc(0), true));
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    // Destroying without an error is a graceful close of our half (the peer sees EOF);
    // with an error the peer is told the stream was cancelled.
    if (err && !this.#reset) {
      this.#reset = true;
      this.#host.send(encodeRstStream(this.id, RstStatus.cancel));
    }
    this.#sendFin();
    this.#host.setBlocked(this, false);
    this.#host.forget(this);
    callback(err);
  }
}
