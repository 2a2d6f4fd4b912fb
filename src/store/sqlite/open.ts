import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

// Opening the database file: one clear sentence naming the file for every way it can go
// wrong (locked by another wharf, unreadable, not a wharf database).
//
// Layout (a log of every revision plus a table of current keys, as kine keeps a log):
//   log(rev PK, key, type, value, create_rev, version, ttl, prev_rev): one row per write;
//       type 0 create, 1 update, 2 delete (value NULL). Compaction drops rows that a later
//       row of the same key supersedes, so the log alone answers "the keys at revision R"
//       for any R at or after the compacted revision.
//   kv(key PK, mod_rev, create_rev, version, ttl, expires_at): the current keys; the value
//       lives once, in the log row at mod_rev.
//   meta(name PK, value): format marker, current revision, compacted revision.

export const FORMAT = 'wharf-store-v1';

export const TYPE_CREATE = 0;
export const TYPE_UPDATE = 1;
export const TYPE_DELETE = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
  rev INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  type INTEGER NOT NULL,
  value BLOB,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  ttl INTEGER NOT NULL,
  prev_rev INTEGER
);
CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  mod_rev INTEGER NOT NULL,
  create_rev INTEGER NOT NULL,
  version INTEGER NOT NULL,
  ttl INTEGER NOT NULL,
  expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
`;

export interface OpenedDatabase {
  db: Database.Database;
  revision: number;
  compactedRevision: number;
}

export function openDatabase(file: string): OpenedDatabase {
  const shown = path.resolve(file);
  checkFile(shown);
  let db: Database.Database;
  try {
    db = new Database(shown);
  } catch (err) {
    throw new Error(`cannot open store ${shown}: ${describe(err)}`, { cause: err });
  }
  try {
    // EXCLUSIVE locking keeps a second wharf out for as long as this one runs; the lock
    // is taken by the first transaction, so take it now rather than on the first write.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // NORMAL: COMMIT does not flush the WAL itself; WalSyncer flushes it off the event
    // loop before any write of the batch is acknowledged (what FULL would do, blocking).
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .pluck()
      .all() as string[];
    if (tables.length > 0 && !tables.includes('meta')) {
      throw new Error(`${shown} is not a wharf database (it holds other tables)`);
    }
    db.exec(SCHEMA);
    const meta = new Map(
      (db.prepare('SELECT name, value FROM meta').all() as { name: string; value: unknown }[]).map(
        (r) => [r.name, r.value],
      ),
    );
    if (meta.size === 0) {
      db.prepare(
        `INSERT INTO meta (name, value) VALUES ('format', ?), ('revision', 0), ('compacted', 0)`,
      ).run(FORMAT);
      return { db, revision: 0, compactedRevision: 0 };
    }
    if (meta.get('format') !== FORMAT) {
      throw new Error(`${shown} is not a wharf database (format ${String(meta.get('format'))})`);
    }
    return {
      db,
      revision: Number(meta.get('revision')),
      compactedRevision: Number(meta.get('compacted')),
    };
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new Error(`store ${shown} is in use by another wharf process`, { cause: err });
    }
    if (code === 'SQLITE_NOTADB') {
      throw new Error(`${shown} is not a wharf database (not an SQLite file)`, { cause: err });
    }
    if (err instanceof Error && err.message.startsWith(shown)) throw err;
    throw new Error(`cannot open store ${shown}: ${describe(err)}`, { cause: err });
  }
}

function checkFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return; // absent: it will be created
  }
  if (!stat.isFile()) throw new Error(`cannot open store ${file}: it is not a regular file`);
  try {
    fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw new Error(`cannot open store ${file}: permission denied`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
