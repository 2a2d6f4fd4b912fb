import type { LogLine } from '../types.ts';

// Parsers for the engine's output streams. Without a TTY the engine multiplexes stdout and
// stderr in frames (1 byte stream, 3 zero bytes, 4 bytes big-endian length, payload); a
// frame may arrive split across chunks, and several frames in one chunk. With a TTY the
// stream is raw. Logs requested with `timestamps=true` prefix every log entry with an
// RFC 3339 time and a space.

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  data: Buffer;
}

const HEADER = 8;

/** Splits the multiplexed stream into frames. Stream 0 (stdin echo) counts as stdout. */
export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.#pending.length >= HEADER) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER + size) break;
      frames.push({
        stream: this.#pending[0] === 2 ? 'stderr' : 'stdout',
        data: this.#pending.subarray(HEADER, HEADER + size),
      });
      this.#pending = this.#pending.subarray(HEADER + size);
    }
    return frames;
  }
}

/**
 * Turns timestamped log entries into lines. An entry without a trailing newline (a long
 * line the engine split, or the last output of a stream) continues in the next entry of
 * the same stream and keeps the time of its first part.
 */
export class LogLineAssembler {
  #partial = new Map<StreamName, { time: Date; parts: Buffer[] }>();
  #rawRest: Buffer = Buffer.alloc(0);

  /** One entry: `<RFC 3339 time> <data>`. */
  entry(stream: StreamName, payload: Buffer): LogLine[] {
    const space = payload.indexOf(0x20);
    const parsed = space > 0 ? new Date(payload.subarray(0, space).toString()) : undefined;
    const valid = parsed && !Number.isNaN(parsed.getTime());
    const time = valid ? parsed : new Date();
    return this.#data(stream, valid ? payload.subarray(space + 1) : payload, time);
  }

  /** Raw (TTY) log output: one entry per line. */
  raw(chunk: Buffer): LogLine[] {
    const data = this.#rawRest.length ? Buffer.concat([this.#rawRest, chunk]) : chunk;
    const lines: LogLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      lines.push(...this.entry('stdout', data.subarray(start, nl + 1)));
      start = nl + 1;
    }
    this.#rawRest = data.subarray(start);
    return lines;
  }

  #line(stream: StreamName, time: Date, data: Buffer): LogLine {
    const partial = this.#partial.get(stream);
    if (!partial) return { time, stream, data };
    this.#partial.delete(stream);
    return { time: partial.time, stream, data: Buffer.concat([...partial.parts, data]) };
  }

  #data(stream: StreamName, data: Buffer, time: Date): LogLine[] {
    const lines: LogLine[] = [];
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      lines.push(this.#line(stream, time, data.subarray(start, nl + 1)));
      start = nl + 1;
    }
    if (start < data.length) {
      const partial = this.#partial.get(stream) ?? { time, parts: [] };
      partial.parts.push(data.subarray(start));
      this.#partial.set(stream, partial);
    }
    return lines;
  }

  /** Lines still waiting for their newline, at the end of the output. */
  flush(): LogLine[] {
    if (this.#rawRest.length) {
      const rest = this.#rawRest;
      this.#rawRest = Buffer.alloc(0);
      this.entry('stdout', rest); // no newline: it lands among the partial lines below
    }
    const lines = [...this.#partial].map(([stream, p]) => ({
      time: p.time,
      stream,
      data: Buffer.concat(p.parts),
    }));
    this.#partial.clear();
    return lines.sort((a, b) => a.time.getTime() - b.time.getTime());
  }
}
