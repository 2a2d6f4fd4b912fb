import type Database from 'better-sqlite3';
import { BatchQueue } from '../batch-queue.ts';
import { decodeContinue, encodeContinue, prefixEnd } from '../continue-token.ts';
import {
  type Backend,
  type KeyValue,
  type ListOptions,
  type ListResult,
  StoreError,
  type WatchEvent,
  type WatchOptions,
  type WatchStream,
  type WriteOptions,
  checkValueSize,
} from '../types.ts';
import { openDatabase, TYPE_DELETE } from './open.ts';
import { type KvRow, kvFromRow } from './rows.ts';
import { WatchHub, type Subscriber } from './watch-hub.ts';
import { WalSyncer } from './wal-sync.ts';
import { WriteBatcher, type WriteOp, type WriteOutcome } from './write-batch.ts';

// The embedded store. One process owns the file (EXCLUSIVE lock), so every write passes
// through this object: the revision counter, the group-commit batcher and the live watch
// fan-out all live in memory, and better-sqlite3's synchronous calls make "register a
// watcher" and "read the log up to now" one atomic step with respect to writes.

const REPLAY_CHUNK = 1000;
const COMPACT_CHUNK = 5000;
const TTL_SWEEP_MS = 500;

interface LogRow {
  rev: number;
  key: string;
  type: number;
  value: Buffer | null;
  create_rev: number;
  version: number;
  ttl: number;
  prev_rev: number | null;
  prev_value: Buffer | null;
  prev_create_rev: number | null;
  prev_version: number | null;
  prev_ttl: number | null;
}

export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  readonly file: string;
  readonly #db: Database.Database;
  readonly #hub = new WatchHub();
  readonly #writes: WriteBatcher;
  readonly #syncer: WalSyncer;
  #compacted: number;
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;
  readonly #stmt: Record<string, Database.Statement>;

  constructor(file: string) {
    this.file = file;
    const opened = openDatabase(file);
    this.#db = opened.db;
    this.#compacted = opened.compactedRevision;
    this.#syncer = new WalSyncer(file);
    this.#writes = new WriteBatcher(this.#db, opened.revision, this.#syncer, (events) =>
      this.#hub.publish(events),
    );
    const db = this.#db;
    const currentColumns = 'k.key, k.mod_rev, k.create_rev, k.version, k.ttl, l.value';
    const historyColumns = 'l.key, l.rev AS mod_rev, l.create_rev, l.version, l.ttl, l.value';
    // The newest log row of each key at or before a revision is the key's state then.
    // Each range has exactly one lower bound: given two (`key > ? AND key >= ?`), SQLite
    // seeks on one of them and scans from there, which for the empty continue key means
    // from the first key of the whole table.
    const atRevision = (lower: string) => `FROM (SELECT key, MAX(rev) AS rev FROM log
        WHERE key ${lower} ? AND key < ? AND rev <= ? GROUP BY key) m
      JOIN log l ON l.rev = m.rev WHERE l.type != ${TYPE_DELETE}`;
    const current = (lower: string) =>
      `FROM kv k JOIN log l ON l.rev = k.mod_rev WHERE k.key ${lower} ? AND k.key < ?`;
    this.#stmt = {
      get: db.prepare(
        `SELECT ${currentColumns} FROM kv k JOIN log l ON l.rev = k.mod_rev WHERE k.key = ?`,
      ),
      listCurrentFrom: db.prepare(
        `SELECT ${currentColumns} ${current('>=')} ORDER BY k.key LIMIT ?`,
      ),
      listCurrentAfter: db.prepare(
        `SELECT ${currentColumns} ${current('>')} ORDER BY k.key LIMIT ?`,
      ),
      countCurrentFrom: db.prepare('SELECT count(*) FROM kv WHERE key >= ? AND key < ?').pluck(),
      countCurrentAfter: db.prepare('SELECT count(*) FROM kv WHERE key > ? AND key < ?').pluck(),
      listHistoryFrom: db.prepare(
        `SELECT ${historyColumns} ${atRevision('>=')} ORDER BY l.key LIMIT ?`,
      ),
      listHistoryAfter: db.prepare(
        `SELECT ${historyColumns} ${atRevision('>')} ORDER BY l.key LIMIT ?`,
      ),
      countHistoryAfter: db.prepare(`SELECT count(*) ${atRevision('>')}`).pluck(),
      replay: db.prepare(
        `SELECT l.*, p.value AS prev_value, p.create_rev AS prev_create_rev,
           p.version AS prev_version, p.ttl AS prev_ttl
         FROM log l LEFT JOIN log p ON p.rev = l.prev_rev
         WHERE l.rev > ? AND l.rev <= ? AND l.key >= ? AND l.key < ? ORDER BY l.rev LIMIT ?`,
      ),
      compactRange: db.prepare(
        `DELETE FROM log WHERE rev > ? AND rev <= ? AND (type = ${TYPE_DELETE} OR rev <
           (SELECT MAX(x.rev) FROM log x WHERE x.key = log.key AND x.rev <= ?))`,
      ),
      saveCompacted: db.prepare(`UPDATE meta SET value = ? WHERE name = 'compacted'`),
      expired: db.prepare('SELECT key, mod_rev FROM kv WHERE expires_at <= ? LIMIT 500'),
    };
    this.#sweeper = setInterval(() => this.#sweepExpired(), TTL_SWEEP_MS);
    this.#sweeper.unref();
  }

  async currentRevision(): Promise<number> {
    return this.#writes.revision;
  }

  async compactedRevision(): Promise<number> {
    return this.#compacted;
  }

  async get(key: string): Promise<KeyValue | null> {
    this.#checkOpen();
    const row = this.#stmt.get!.get(key) as KvRow | undefined;
    return row ? kvFromRow(row) : null;
  }

  async create(key: string, value: Buffer, opts: WriteOptions = {}): Promise<number> {
    checkValueSize(key, value);
    const outcome = await this.#write({ kind: 'create', key, value, ttl: ttlOf(opts) });
    return outcome.revision;
  }

  async update(
    key: string,
    value: Buffer,
    expectedModRevision: number,
    opts: WriteOptions = {},
  ): Promise<KeyValue> {
    checkValueSize(key, value);
    const op: WriteOp = {
      kind: 'update',
      key,
      value,
      ttl: ttlOf(opts),
      expected: expectedModRevision,
    };
    return (await this.#write(op)).kv;
  }

  async delete(
    key: string,
    expectedModRevision?: number,
  ): Promise<{ revision: number; prev: KeyValue }> {
    const outcome = await this.#write({ kind: 'delete', key, expected: expectedModRevision });
    return { revision: outcome.revision, prev: outcome.prev! };
  }

  async #write(op: WriteOp): Promise<Exclude<WriteOutcome, StoreError>> {
    this.#checkOpen();
    const outcome = await this.#writes.submit(op);
    if (outcome instanceof StoreError) throw outcome;
    return outcome;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const current = this.#writes.revision;
    let revision = opts.revision || current;
    let afterKey = '';
    if (opts.continue) {
      const pos = decodeContinue(opts.continue);
      revision = pos.revision;
      afterKey = pos.afterKey;
    }
    if (revision > current) {
      throw new StoreError('FutureRevision', `revision ${revision} is newer than ${current}`);
    }
    if (revision < this.#compacted) {
      throw new StoreError(
        'Compacted',
        `revision ${revision} has been compacted (oldest is ${this.#compacted})`,
        { compactedRevision: this.#compacted },
      );
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const end = prefixEnd(prefix);
    const atCurrent = revision === current;
    // Keys after the continue key, or from the prefix when there is none (or it lies
    // before the prefix).
    const after = afterKey !== '' && afterKey >= prefix;
    const lower = after ? afterKey : prefix;
    const fetch = limit === -1 ? -1 : limit + 1;
    const rows = (
      atCurrent
        ? this.#stmt[after ? 'listCurrentAfter' : 'listCurrentFrom']!.all(lower, end, fetch)
        : this.#stmt[after ? 'listHistoryAfter' : 'listHistoryFrom']!.all(
            lower,
            end,
            revision,
            fetch,
          )
    ) as KvRow[];
    const more = limit !== -1 && rows.length > limit;
    if (more) rows.length = limit;
    const kvs = rows.map(kvFromRow);
    if (!more) return { revision, kvs };
    const last = kvs[kvs.length - 1]!.key;
    const left = (
      atCurrent
        ? this.#stmt.countCurrentAfter!.get(last, end)
        : this.#stmt.countHistoryAfter!.get(last, end, revision)
    ) as number;
    return {
      revision,
      kvs,
      continue: encodeContinue({ revision, afterKey: last }),
      remaining: left,
    };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    this.#checkOpen();
    const count = this.#stmt.countCurrentFrom!.get(prefix, prefixEnd(prefix)) as number;
    return { revision: this.#writes.revision, count };
  }

  watch(prefix: string, afterRevision: number, opts: WatchOptions = {}): WatchStream {
    // Registering and fixing the replay's end happen in one synchronous step, so every
    // write is either replayed from the log (<= until) or delivered live (> until).
    const until = this.#writes.revision;
    const sub: Subscriber = {
      prefix,
      afterRevision,
      replayedUntil: until,
      held: [],
      queue: new BatchQueue<WatchEvent>(() => {
        this.#hub.remove(sub);
        opts.signal?.removeEventListener('abort', onAbort);
      }),
    };
    const onAbort = () => sub.queue.end();
    if (opts.signal?.aborted) {
      sub.queue.end();
      return sub.queue;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.#closed) {
      sub.queue.fail(new StoreError('Unavailable', `store ${this.file} is closed`));
      return sub.queue;
    }
    this.#hub.add(sub);
    void this.#replay(sub, until);
    return sub.queue;
  }

  async #replay(sub: Subscriber, until: number): Promise<void> {
    const end = prefixEnd(sub.prefix);
    let position = sub.afterRevision;
    while (position < until && !sub.queue.closed) {
      if (position < this.#compacted) {
        sub.queue.fail(
          new StoreError(
            'Compacted',
            `watch from revision ${sub.afterRevision} cannot continue: revisions up to ${this.#compacted} have been compacted`,
            { compactedRevision: this.#compacted },
          ),
        );
        return;
      }
      const rows = this.#stmt.replay!.all(
        position,
        until,
        sub.prefix,
        end,
        REPLAY_CHUNK,
      ) as LogRow[];
      if (rows.length > 0) sub.queue.push(...rows.map(eventFromLog));
      position = rows.length < REPLAY_CHUNK ? until : rows[rows.length - 1]!.rev;
      if (position < until) await new Promise((r) => setImmediate(r));
    }
    const held = sub.held ?? [];
    sub.held = undefined;
    sub.queue.push(...held);
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision <= this.#compacted) return;
    const current = this.#writes.revision;
    if (revision > current) {
      throw new StoreError('FutureRevision', `cannot compact to ${revision}: newest is ${current}`);
    }
    // Raise the mark first: from here on a replay that needs these rows fails loudly
    // instead of reading a log with holes.
    this.#compacted = revision;
    this.#stmt.saveCompacted!.run(revision);
    for (let low = 0; low < revision && !this.#closed; low += COMPACT_CHUNK) {
      const high = Math.min(low + COMPACT_CHUNK, revision);
      this.#stmt.compactRange!.run(low, high, revision);
      await new Promise((r) => setImmediate(r));
    }
  }

  #sweepExpired(): void {
    if (this.#closed) return;
    const rows = this.#stmt.expired!.all(Date.now()) as { key: string; mod_rev: number }[];
    for (const row of rows) {
      // A key rewritten since the sweep read it has a new expiry; Conflict leaves it be.
      this.#writes.submit({ kind: 'delete', key: row.key, expected: row.mod_rev }).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    await this.#writes.drained();
    this.#hub.endAll();
    this.#writes.checkpoint();
    this.#syncer.close();
    this.#db.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError('Unavailable', `store ${this.file} is closed`);
  }
}

function ttlOf(opts: WriteOptions): number {
  const ttl = opts.ttlSeconds ?? 0;
  if (!Number.isInteger(ttl) || ttl < 0) throw new Error(`ttlSeconds must be a whole number >= 0`);
  return ttl;
}

function eventFromLog(row: LogRow): WatchEvent {
  const prev: KeyValue | undefined =
    row.prev_rev === null
      ? undefined
      : {
          key: row.key,
          value: row.prev_value!,
          createRevision: row.prev_create_rev!,
          modRevision: row.prev_rev,
          version: row.prev_version!,
          ttlSeconds: row.prev_ttl!,
        };
  if (row.type === TYPE_DELETE) {
    return { type: 'delete', kv: { ...prev!, modRevision: row.rev }, prev };
  }
  const kv: KeyValue = {
    key: row.key,
    value: row.value!,
    createRevision: row.create_rev,
    modRevision: row.rev,
    version: row.version,
    ttlSeconds: row.ttl,
  };
  return prev ? { type: 'update', kv, prev } : { type: 'create', kv };
}
