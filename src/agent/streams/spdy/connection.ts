import type { Duplex } from 'node:stream';
import {
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeWindowUpdate,
  FrameParser,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
  type Frame,
} from './frames.ts';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
} from './header-block.ts';
import { INITIAL_WINDOW, SpdyStream, type StreamHost } from './stream.ts';

// The server end of a SPDY/3.1 connection as kubectl's client (moby/spdystream) uses it:
// the client opens every stream; this side answers each SYN_STREAM with an empty SYN_REPLY
// at once (the client waits for it, 30 s at most) and hands the stream to `onStream` once
// its headers are inflated. This side never opens streams and never pings.
//
// Flow control. Receiving: WINDOW_UPDATEs go out as data is consumed, per stream and for the
// connection, and the transport is paused while any stream's read buffer is full, which
// bounds memory for peers that ignore windows. Sending: the peer's windows are NOT enforced.
// spdystream (kubectl and the kubelet alike) says "SPDY/3.1" but neither sends nor honours
// WINDOW_UPDATE, so a sender that waited for one would stall after 64 KiB; kubelet does not
// wait either. Back-pressure on sending comes from the transport (TCP or WebSocket).

export interface SpdyConnectionOptions {
  /** Called once per stream the peer opens, in the order they were opened. */
  onStream(stream: SpdyStream): void;
}

/** How long `close()` waits for the peer to hang up before cutting the transport. */
const CLOSE_GRACE_MS = 10_000;

export class SpdyConnection {
  readonly #transport: Duplex;
  readonly #onStream: (stream: SpdyStream) => void;
  readonly #parser = new FrameParser();
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #blocked = new Set<SpdyStream>();
  readonly #closed = new AbortController();
  /** Orders `onStream` calls: header blocks inflate asynchronously. */
  #headersDone: Promise<void> = Promise.resolve();
  #lastPeerStreamId = 0;
  #goneAway = false;
  #consumedNotAcknowledged = 0;
  readonly #host: StreamHost;

  constructor(transport: Duplex, options: SpdyConnectionOptions) {
    this.#transport = transport;
    this.#onStream = options.onStream;
    this.#host = {
      send: (frame) => this.#send(frame),
      onDrain: (callback) => this.#onDrain(callback),
      consumed: (bytes) => this.#consumed(bytes),
      setBlocked: (stream, blocked) => this.#setBlocked(stream, blocked),
      forget: (stream) => {
        if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
      },
    };
    transport.on('data', (chunk: Buffer) => this.#receive(chunk));
    // A peer that half-closes is done with the connection: SPDY has no use for half-open.
    transport.on('end', () => this.destroy());
    transport.on('error', (err: Error) => this.destroy(err));
    transport.on('close', () => this.#teardown());
  }

  /**
   * Aborted once the transport has closed. Its `reason` is the protocol or transport error
   * that ended the connection, or the standard AbortError when it ended normally.
   */
  get signal(): AbortSignal {
    return this.#closed.signal;
  }

  /**
   * Sends GOAWAY, then leaves hanging up to the peer: spdystream drops frames it has read
   * but not yet dispatched when the socket closes under it, so closing first could cut off
   * the end of a stream. Cuts the transport if the peer has not hung up after a grace period.
   */
  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#goAway(GoAwayStatus.ok);
    const timer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    await new Promise<void>((resolve) => {
      this.#closed.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearTimeout(timer);
  }

  /** Closes the transport at once; open streams end abruptly. */
  destroy(reason?: Error): void {
    if (reason && !this.#closed.signal.aborted) this.#closed.abort(reason);
    this.#transport.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed.signal.aborted) return; // failed: waiting for the transport to close
    let frames: Frame[];
    try {
      frames = this.#parser.push(chunk);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    for (const frame of frames) this.#handle(frame);
  }

  #handle(frame: Frame): void {
    switch (frame.kind) {
      case 'data':
        this.#streams.get(frame.streamId)?.receive(frame.data, frame.fin);
        return;
      case 'synStream':
        this.#openStream(frame);
        return;
      case 'synReply':
      case 'headers': {
        // This side opens no streams, so replies carry nothing for it; each block is still
        // inflated to keep the shared zlib stream in step.
        const stream = this.#streams.get(frame.streamId);
        this.#afterHeaders(this.#decompressor.decompress(frame.headerBlock), () => {
          if (frame.fin) stream?.receive(Buffer.alloc(0), true);
        });
        return;
      }
      case 'rstStream':
        this.#streams.get(frame.streamId)?.abort();
        return;
      case 'ping':
        // Odd ids are the client's pings: echo them. Even ids would answer ours; we send none.
        if (frame.id % 2 === 1) this.#send(encodePing(frame.id));
        return;
      case 'goAway':
      case 'settings':
      case 'windowUpdate':
      case 'unknown':
        return;
    }
  }

  #openStream(frame: Extract<Frame, { kind: 'synStream' }>): void {
    const headers = this.#decompressor.decompress(frame.headerBlock);
    if (frame.streamId % 2 !== 1 || frame.streamId <= this.#lastPeerStreamId) {
      this.#afterHeaders(headers, () => {});
      this.#fail(new SpdyProtocolError(`invalid stream id ${frame.streamId}`));
      return;
    }
    this.#lastPeerStreamId = frame.streamId;
    if (this.#goneAway) {
      this.#afterHeaders(headers, () => {});
      this.#send(encodeRstStream(frame.streamId, RstStatus.refusedStream));
      return;
    }
    const stream = new SpdyStream(frame.streamId, this.#host);
    this.#streams.set(stream.id, stream);
    this.#send(encodeSynReply(stream.id, this.#compressor.compress(encodeHeaderBlock([]))));
    // (FLAG_UNIDIRECTIONAL would forbid this side to send; kubectl never sets it.)
    if (frame.fin) stream.receive(Buffer.alloc(0), true);
    this.#afterHeaders(headers, (block) => {
      stream.headers = decodeHeaderBlock(block);
      if (!stream.destroyed) this.#onStream(stream);
    });
  }

  #afterHeaders(inflated: Promise<Buffer>, use: (block: Buffer) => void): void {
    // Handled here at once: it may fail while earlier blocks are pending, before the chain
    // below reaches it, which Node would otherwise report as an unhandled rejection.
    inflated.catch(() => {});
    this.#headersDone = this.#headersDone
      .then(() => inflated)
      .then((block) => {
        if (!this.#closed.signal.aborted) use(block);
      })
      .catch((err: Error) => this.#fail(err));
  }

  #consumed(bytes: number): void {
    this.#consumedNotAcknowledged += bytes;
    if (this.#consumedNotAcknowledged >= INITIAL_WINDOW / 2) {
      this.#send(encodeWindowUpdate(0, this.#consumedNotAcknowledged));
      this.#consumedNotAcknowledged = 0;
    }
  }

  #setBlocked(stream: SpdyStream, blocked: boolean): void {
    if (blocked) this.#blocked.add(stream);
    else this.#blocked.delete(stream);
    if (this.#blocked.size > 0) this.#transport.pause();
    else this.#transport.resume();
  }

  #send(frame: Buffer): boolean {
    if (this.#transport.destroyed || this.#transport.writableEnded) return true;
    return this.#transport.write(frame);
  }

  #onDrain(callback: () => void): void {
    if (this.#transport.destroyed) return callback();
    const done = () => {
      this.#transport.off('drain', done);
      this.#transport.off('close', done);
      callback();
    };
    this.#transport.on('drain', done);
    this.#transport.on('close', done);
  }

  #goAway(status: number): void {
    if (this.#goneAway) return;
    this.#goneAway = true;
    this.#send(encodeGoAway(this.#lastPeerStreamId, status));
  }

  #fail(err: Error): void {
    if (this.#closed.signal.aborted) return;
    if (err instanceof SpdyProtocolError) this.#goAway(GoAwayStatus.protocolError);
    this.#closed.abort(err);
    this.#transport.end(); // lets the GOAWAY out; the peer is expected to hang up
    setTimeout(() => this.#transport.destroy(), CLOSE_GRACE_MS).unref();
  }

  #teardown(): void {
    if (!this.#closed.signal.aborted) this.#closed.abort();
    this.#decompressor.close();
    for (const stream of [...this.#streams.values()]) stream.abort();
    this.#streams.clear();
    this.#blocked.clear();
  }
}
