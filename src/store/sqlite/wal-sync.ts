import fs from 'node:fs';

// The durability half of group commit, off the event loop. SQLite runs with
// synchronous=NORMAL, so a commit only writes the WAL; this flushes the WAL file to disk
// with fdatasync on libuv's thread pool, and only then runs what waits on the commit
// (publishing its watch events, acknowledging its writers). That is exactly the sync
// synchronous=FULL would do inside COMMIT, except that the API server's thread does not
// sit blocked in it: commits made while one sync runs share the next one.
//
// fdatasync flushes the file's data whatever descriptor wrote it, so our own read-only
// descriptor on the WAL is enough. SQLite keeps syncing the WAL before a checkpoint and
// the database after one itself.

export class WalSyncer {
  readonly #walPath: string;
  #fd: number | undefined;
  /** Callbacks whose commits the running sync may not cover; they wait for the next. */
  #waiting: Array<(err?: Error) => void> = [];
  #running = false;

  constructor(databaseFile: string) {
    this.#walPath = `${databaseFile}-wal`;
  }

  /** Runs `then` once everything committed so far is on disk (or the sync failed). */
  afterSync(then: (err?: Error) => void): void {
    this.#waiting.push(then);
    if (!this.#running) this.#start();
  }

  get busy(): boolean {
    return this.#running || this.#waiting.length > 0;
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): void {
    const covered = this.#waiting;
    this.#waiting = [];
    this.#running = true;
    let fd: number;
    try {
      // Opened on first use: the WAL exists once the first transaction has committed.
      fd = this.#fd ??= fs.openSync(this.#walPath, 'r');
    } catch (err) {
      this.#finish(covered, err as Error);
      return;
    }
    fs.fdatasync(fd, (err) => this.#finish(covered, err ?? undefined));
  }

  #finish(covered: Array<(err?: Error) => void>, err: Error | undefined): void {
    this.#running = false;
    for (const then of covered) then(err);
    if (this.#waiting.length > 0) this.#start();
  }
}
