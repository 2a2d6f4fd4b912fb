// The combined log is in the CRI format kubelet's files use, one record a line:
//
//   2024-05-01T10:00:00.123456789Z stdout F hello
//
// `F` ends a line (the newline itself is not stored), `P` is a fragment continued by the
// next record of the same stream: a line longer than MAX_RECORD, or the unterminated
// last output of a stream.

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  /** RFC 3339 with nanoseconds, as written. */
  timestamp: string;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

export const MAX_RECORD = 16 * 1024;

export function formatRecord(r: LogRecord): Buffer {
  const head = Buffer.from(`${r.timestamp} ${r.stream} ${r.partial ? 'P' : 'F'} `);
  return Buffer.concat([head, r.content, Buffer.from('\n')]);
}

const RECORD = /^(\S+) (stdout|stderr) ([PF]) /;

/** Parses whole records from `buffer`; what follows the last newline is returned as rest. */
export function parseRecords(buffer: Buffer): { records: LogRecord[]; rest: Buffer } {
  const records: LogRecord[] = [];
  let start = 0;
  for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, start)) {
    const line = buffer.subarray(start, nl);
    start = nl + 1;
    const head = RECORD.exec(line.subarray(0, 64).toString('latin1'));
    if (!head) continue; // not ours: skipped rather than failing the whole log
    records.push({
      timestamp: head[1]!,
      stream: head[2] as LogStream,
      partial: head[3] === 'P',
      content: Buffer.from(line.subarray(head[0].length)),
    });
  }
  return { records, rest: Buffer.from(buffer.subarray(start)) };
}

/** Milliseconds since the epoch of a record's timestamp (what a LogLine's Date holds). */
export function timeOf(timestamp: string): Date {
  return new Date(timestamp.replace(/\.(\d{3})\d*Z$/, '.$1Z'));
}

/**
 * Strictly increasing timestamps, so that records keep their order under `since`: the
 * wall clock in milliseconds, plus a counter in the sub-millisecond digits for records
 * made within the same millisecond.
 */
export class LogClock {
  #lastMs = 0;
  #seq = 0;

  next(wallMs = Date.now()): string {
    if (wallMs > this.#lastMs) {
      this.#lastMs = wallMs;
      this.#seq = 0;
    } else if (++this.#seq > 999_999) {
      this.#lastMs += 1;
      this.#seq = 0;
    }
    const iso = new Date(this.#lastMs).toISOString(); // …T10:00:00.123Z
    return `${iso.slice(0, -1)}${String(this.#seq).padStart(6, '0')}Z`;
  }
}
