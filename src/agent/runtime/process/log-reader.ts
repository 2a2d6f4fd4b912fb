import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine, LogOptions } from '../types.ts';
import { parseRecords, timeOf, type LogRecord, type LogStream } from './cri-log.ts';
import type { LogTailer } from './log-tailer.ts';
import { FILES } from './records.ts';

// Reads a container's combined log (the rotated file, then the current one) as LogLines.
// Following keeps the current file open: when the tailer rotates it away, the reader
// finishes the old file through its handle, then opens the new one. Following ends when
// the tailer is done (the container exited and all its output is logged) and the reader
// has caught up — or when there is no tailer, i.e. the container is not running.

/** Joins `P` fragments into the line they belong to. */
class LineAssembler {
  readonly #pending = new Map<LogStream, { time: Date; parts: Buffer[] }>();

  *push(records: LogRecord[]): Generator<LogLine> {
    for (const r of records) {
      const line = this.#pending.get(r.stream) ?? { time: timeOf(r.timestamp), parts: [] };
      line.parts.push(r.content);
      if (r.partial) {
        this.#pending.set(r.stream, line);
        continue;
      }
      this.#pending.delete(r.stream);
      line.parts.push(Buffer.from('\n'));
      yield { time: line.time, stream: r.stream, data: Buffer.concat(line.parts) };
    }
  }

  /** Unterminated output: the last line of a stream that did not end in a newline. */
  *flush(): Generator<LogLine> {
    for (const [stream, line] of this.#pending) {
      yield { time: line.time, stream, data: Buffer.concat(line.parts) };
    }
    this.#pending.clear();
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readFrom(handle: FileHandle, position: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const buffer = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read({ buffer, position });
    if (bytesRead === 0) return Buffer.concat(chunks);
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

export async function* readContainerLogs(
  dir: string,
  options: LogOptions,
  tailer: LogTailer | undefined,
): AsyncGenerator<LogLine> {
  const path = join(dir, FILES.log);
  const assembler = new LineAssembler();
  const wanted = (l: LogLine) => !options.since || l.time.getTime() >= options.since.getTime();
  let done = !tailer || tailer.done; // read before the files: what is logged by then is there
  let current = await openIfExists(path);
  try {
    const currentIno = current ? (await current.stat()).ino : -1;
    const old = await openIfExists(`${path}.1`);
    let history: Buffer = Buffer.alloc(0);
    if (old) {
      if ((await old.stat()).ino !== currentIno) history = await readFrom(old, 0);
      await old.close();
    }
    const head = current ? await readFrom(current, 0) : Buffer.alloc(0);
    let position = head.length;
    let records: LogRecord[];
    let rest: Buffer;
    ({ records, rest } = parseRecords(Buffer.concat([history, head])));
    const lines = [...assembler.push(records)];
    if (!options.follow) lines.push(...assembler.flush());
    const kept = lines.filter(wanted);
    yield* options.tail === undefined ? kept : kept.slice(Math.max(kept.length - options.tail, 0));
    if (!options.follow) return;

    while (!options.signal?.aborted) {
      if (current) {
        const data = await readFrom(current, position);
        position += data.length;
        ({ records, rest } = parseRecords(Buffer.concat([rest, data])));
        for (const line of assembler.push(records)) if (wanted(line)) yield line;
        // Rotated: the old file is read to its end, continue with the new one — after the
        // one in between, if the follower fell that far behind (older ones are gone).
        const now = await stat(path).catch(() => undefined);
        const finished = (await current.stat()).ino;
        if (now && now.ino !== finished) {
          await current.close();
          const between = await openIfExists(`${path}.1`);
          current = await openIfExists(path);
          const betweenIno = between && (await between.stat()).ino;
          if (between && betweenIno !== finished && betweenIno !== (await current?.stat())?.ino) {
            ({ records, rest } = parseRecords(await readFrom(between, 0)));
            for (const line of assembler.push(records)) if (wanted(line)) yield line;
          }
          await between?.close();
          position = 0;
          continue;
        }
      } else if ((current = await openIfExists(path))) {
        continue;
      }
      if (done) {
        for (const line of assembler.flush()) if (wanted(line)) yield line;
        return;
      }
      await tailer!.changed(options.signal);
      done = tailer!.done;
    }
  } finally {
    await current?.close();
  }
}
