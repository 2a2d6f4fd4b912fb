import type Database from 'better-sqlite3';
import { StoreError, type KeyValue, type WatchEvent } from '../types.ts';
import { TYPE_CREATE, TYPE_DELETE, TYPE_UPDATE } from './open.ts';
import { type KvRow, kvFromRow } from './rows.ts';
import type { WalSyncer } from './wal-sync.ts';

// Group commit. Writes that arrive while the event loop is busy are applied together in
// one transaction; each is acknowledged only after that commit is on disk (WalSyncer,
// which flushes off the event loop and lets the batches committed meanwhile share one
// flush), so an acknowledged write is durable and many writers share the cost of a disk
// flush. A write whose precondition fails (KeyExists, Conflict, NotFound) writes nothing
// and does not disturb the others in its batch.

export type WriteOp =
  | { kind: 'create'; key: string; value: Buffer; ttl: number }
  | { kind: 'update'; key: string; value: Buffer; ttl: number; expected: number }
  | { kind: 'delete'; key: string; expected?: number };

export type WriteOutcome =
  { revision: number; kv: KeyValue; prev?: KeyValue; event: WatchEvent } | StoreError;

interface Pending {
  op: WriteOp;
  resolve: (outcome: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

export class WriteBatcher {
  readonly #db: Database.Database;
  readonly #publish: (events: WatchEvent[]) => void;
  readonly #syncer: WalSyncer;
  /** Committed batches waiting for their flush to disk. */
  #syncing = 0;
  #revision: number;
  #pending: Pending[] = [];
  #scheduled = false;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;

  readonly #getCurrent: Database.Statement;
  readonly #insertLog: Database.Statement;
  readonly #upsertKv: Database.Statement;
  readonly #deleteKv: Database.Statement;
  readonly #saveRevision: Database.Statement;
  readonly #applyAll: (batch: Pending[]) => WriteOutcome[];

  constructor(
    db: Database.Database,
    revision: number,
    syncer: WalSyncer,
    publish: (events: WatchEvent[]) => void,
  ) {
    this.#db = db;
    this.#syncer = syncer;
    this.#revision = revision;
    this.#publish = publish;
    this.#getCurrent = db.prepare(
      `SELECT k.key, k.mod_rev, k.create_rev, k.version, k.ttl, l.value
       FROM kv k JOIN log l ON l.rev = k.mod_rev WHERE k.key = ?`,
    );
    this.#insertLog = db.prepare(
      `INSERT INTO log (rev, key, type, value, create_rev, version, ttl, prev_rev)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#upsertKv = db.prepare(
      `INSERT INTO kv (key, mod_rev, create_rev, version, ttl, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET mod_rev = excluded.mod_rev, create_rev = excluded.create_rev,
         version = excluded.version, ttl = excluded.ttl, expires_at = excluded.expires_at`,
    );
    this.#deleteKv = db.prepare('DELETE FROM kv WHERE key = ?');
    this.#saveRevision = db.prepare(`UPDATE meta SET value = ? WHERE name = 'revision'`);
    this.#applyAll = db.transaction((batch: Pending[]) => {
      const outcomes = batch.map((p) => this.#apply(p.op));
      this.#saveRevision.run(this.#revision);
      return outcomes;
    });
  }

  get revision(): number {
    return this.#revision;
  }

  submit(op: WriteOp): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ op, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        if (!this.#idleResolve) this.#idle = new Promise((r) => (this.#idleResolve = r));
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Resolves once every submitted write has been committed and flushed, or failed. */
  drained(): Promise<void> {
    return this.#idle;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const before = this.#revision;
    let outcomes: WriteOutcome[];
    try {
      outcomes = this.#applyAll(batch);
    } catch (err) {
      this.#revision = before;
      const failure = new StoreError('Unavailable', `store write failed: ${String(err)}`, {
        cause: err,
      });
      for (const p of batch) p.reject(failure);
      this.#settleIdle();
      return;
    }
    // Watchers hear of a write before its writer does, so a writer that then reads
    // through a watch-fed cache finds its own write there; neither hears of it before it
    // is on disk.
    const events: WatchEvent[] = [];
    for (const o of outcomes) if (!(o instanceof StoreError)) events.push(o.event);
    this.#syncing++;
    this.#syncer.afterSync((err) => {
      this.#syncing--;
      // Committed is visible to reads either way, so watchers must hear of it.
      if (events.length > 0) this.#publish(events);
      if (err) {
        const failure = new StoreError(
          'Unavailable',
          `store write committed but could not be flushed to disk: ${err.message}`,
          { cause: err },
        );
        for (const p of batch) p.reject(failure);
      } else {
        batch.forEach((p, i) => p.resolve(outcomes[i]!));
      }
      this.#settleIdle();
    });
  }

  #settleIdle(): void {
    if (
      this.#pending.length === 0 &&
      !this.#scheduled &&
      this.#syncing === 0 &&
      this.#idleResolve
    ) {
      this.#idleResolve();
      this.#idleResolve = undefined;
    }
  }

  #apply(op: WriteOp): WriteOutcome {
    const row = this.#getCurrent.get(op.key) as KvRow | undefined;
    const current = row ? kvFromRow(row) : undefined;
    if (op.kind === 'create') {
      if (current) return new StoreError('KeyExists', `key ${op.key} already exists`);
      const rev = ++this.#revision;
      this.#insertLog.run(rev, op.key, TYPE_CREATE, op.value, rev, 1, op.ttl, null);
      this.#upsertKv.run(op.key, rev, rev, 1, op.ttl, expiresAt(op.ttl));
      const kv: KeyValue = {
        key: op.key,
        value: op.value,
        createRevision: rev,
        modRevision: rev,
        version: 1,
        ttlSeconds: op.ttl,
      };
      return { revision: rev, kv, event: { type: 'create', kv } };
    }
    if (!current) return new StoreError('NotFound', `key ${op.key} not found`);
    if (op.expected !== undefined && current.modRevision !== op.expected) {
      return new StoreError(
        'Conflict',
        `key ${op.key} was modified at revision ${current.modRevision}, not ${op.expected}`,
        { current },
      );
    }
    const rev = ++this.#revision;
    if (op.kind === 'delete') {
      this.#insertLog.run(
        rev,
        op.key,
        TYPE_DELETE,
        null,
        current.createRevision,
        0,
        0,
        current.modRevision,
      );
      this.#deleteKv.run(op.key);
      const kv = { ...current, modRevision: rev };
      return { revision: rev, kv, prev: current, event: { type: 'delete', kv, prev: current } };
    }
    const version = current.version + 1;
    this.#insertLog.run(
      rev,
      op.key,
      TYPE_UPDATE,
      op.value,
      current.createRevision,
      version,
      op.ttl,
      current.modRevision,
    );
    this.#upsertKv.run(op.key, rev, current.createRevision, version, op.ttl, expiresAt(op.ttl));
    const kv: KeyValue = {
      key: op.key,
      value: op.value,
      createRevision: current.createRevision,
      modRevision: rev,
      version,
      ttlSeconds: op.ttl,
    };
    return { revision: rev, kv, prev: current, event: { type: 'update', kv, prev: current } };
  }

  /** Checkpoints the WAL into the main file; used on close. */
  checkpoint(): void {
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

function expiresAt(ttl: number): number | null {
  return ttl > 0 ? Date.now() + ttl * 1000 : null;
}
