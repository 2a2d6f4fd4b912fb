import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from './types.ts';

// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files are
// replaced all at once, so a reader never sees half of an update.
//
//   <dir>/..2024_01_01_00_00_00.123456789/<files>   one timestamped directory per version
//   <dir>/..data -> ..2024_01_01_00_00_00.123456789  swapped by renaming ..data_tmp over it
//   <dir>/<key>  -> ..data/<key>                      one link per top-level name
//
// Write steps: validate paths; compare with the current version and stop when nothing
// differs; write the new version into a fresh timestamped directory; point ..data_tmp
// at it and rename it over ..data (the atomic step); add links for new top-level names;
// remove links of names gone; remove the previous version's directory.

export interface FileProjection {
  data: Buffer;
  /** Permission bits, applied regardless of the umask. */
  mode: number;
}

/** Relative path → content. */
export type Payload = Map<string, FileProjection>;

/**
 * The file calls the writer makes. On tmpfs they take microseconds, and the synchronous
 * forms spare the event loop a trip through the thread pool for each of the ~15 calls
 * of a write (a pod's token volume is written on its way to running).
 */
interface FileOps {
  chmod(p: string, mode: number): Promise<void>;
  lstat(p: string): Promise<unknown>;
  mkdir(p: string, options?: { recursive: boolean }): Promise<unknown>;
  readFile(p: string): Promise<Buffer>;
  readdir(p: string): Promise<fs.Dirent[]>;
  readlink(p: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  rm(p: string, options: { recursive?: boolean; force: boolean }): Promise<void>;
  symlink(target: string, p: string): Promise<void>;
  unlink(p: string): Promise<void>;
  writeFile(p: string, data: Buffer, options: { mode: number }): Promise<void>;
}

const ASYNC_OPS: FileOps = {
  chmod: fsp.chmod,
  lstat: fsp.lstat,
  mkdir: fsp.mkdir,
  readFile: (p) => fsp.readFile(p),
  readdir: (p) => fsp.readdir(p, { withFileTypes: true }),
  readlink: (p) => fsp.readlink(p),
  rename: fsp.rename,
  rm: fsp.rm,
  symlink: (target, p) => fsp.symlink(target, p),
  unlink: fsp.unlink,
  writeFile: fsp.writeFile,
};

/** Each synchronous call as a promise, so that a failure rejects like the async form. */
const SYNC_OPS: FileOps = {
  chmod: async (p, mode) => fs.chmodSync(p, mode),
  lstat: async (p) => fs.lstatSync(p),
  mkdir: async (p, options) => fs.mkdirSync(p, options),
  readFile: async (p) => fs.readFileSync(p),
  readdir: async (p) => fs.readdirSync(p, { withFileTypes: true }),
  readlink: async (p) => fs.readlinkSync(p),
  rename: async (from, to) => fs.renameSync(from, to),
  rm: async (p, options) => fs.rmSync(p, options),
  symlink: async (target, p) => fs.symlinkSync(target, p),
  unlink: async (p) => fs.unlinkSync(p),
  writeFile: async (p, data, options) => fs.writeFileSync(p, data, options),
};

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** validatePath, with the kubelet's messages. */
function validatePath(target: string): void {
  if (target === '') throw new ConfigError('invalid path: must not be empty: ""');
  if (path.posix.isAbsolute(target)) {
    throw new ConfigError(`invalid path: must be relative path: ${target}`);
  }
  if (Buffer.byteLength(target) > MAX_PATH_LENGTH) {
    throw new ConfigError(
      `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`,
    );
  }
  const items = target.split('/');
  for (const item of items) {
    if (item === '..') throw new ConfigError(`invalid path: must not contain '..': ${target}`);
    if (Buffer.byteLength(item) > MAX_FILE_NAME_LENGTH) {
      throw new ConfigError(
        `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`,
      );
    }
  }
  if (items[0].startsWith('..') && items[0].length > 2) {
    throw new ConfigError(`invalid path: must not start with '..': ${target}`);
  }
}

/** filepath.Clean for the relative paths that pass validatePath. */
function clean(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

function timestamp(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_` +
    `${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`
  );
}

async function walk(ops: FileOps, dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await ops.readdir(dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push(rel);
    if (entry.isDirectory()) out.push(...(await walk(ops, path.join(dir, entry.name), rel)));
  }
  return out;
}

export class AtomicWriter {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #ops: FileOps;

  /**
   * `dir` must exist. Calls to `write` must not overlap. `sync`: use the synchronous file
   * calls, for a directory on tmpfs.
   */
  constructor(dir: string, now: () => Date = () => new Date(), options: { sync?: boolean } = {}) {
    this.#dir = dir;
    this.#now = now;
    this.#ops = options.sync ? SYNC_OPS : ASYNC_OPS;
  }

  /** Makes the directory hold exactly `payload`; resolves true when a new version was written. */
  async write(payload: Payload): Promise<boolean> {
    const files: Payload = new Map();
    for (const [p, content] of payload) {
      validatePath(p);
      files.set(clean(p), content);
    }
    const dataDirPath = path.join(this.#dir, DATA_DIR);
    let oldTsDir = '';
    try {
      oldTsDir = await this.#ops.readlink(dataDirPath);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const oldTsPath = path.join(this.#dir, oldTsDir);

    let toRemove = new Set<string>();
    let shouldWrite = true;
    if (oldTsDir !== '') {
      toRemove = await this.#pathsToRemove(files, oldTsPath);
      if (!(await differs(this.#ops, files, oldTsPath)) && toRemove.size === 0) {
        // Up to date; the links below are still ensured (kubernetes#121472).
        shouldWrite = false;
        oldTsDir = '';
      }
    }

    if (shouldWrite) {
      const tsDir = await this.#newTimestampDir();
      await writePayloadToDir(this.#ops, files, tsDir);
      const newDataDirPath = path.join(this.#dir, NEW_DATA_DIR);
      // A link left by a crash between symlink and rename would block every later
      // write (the kubelet fails on it); it points at an unused version, so drop it.
      await this.#ops.rm(newDataDirPath, { force: true });
      try {
        await this.#ops.symlink(path.basename(tsDir), newDataDirPath);
        await this.#ops.rename(newDataDirPath, dataDirPath);
      } catch (err) {
        await this.#ops.rm(tsDir, { recursive: true, force: true });
        throw err;
      }
    }

    await this.#createUserVisibleFiles(files);
    await this.#removeUserVisiblePaths(toRemove);
    if (oldTsDir !== '') await this.#ops.rm(oldTsPath, { recursive: true, force: true });
    return shouldWrite;
  }

  /** Paths of the current version that the new payload no longer has (or holds under). */
  async #pathsToRemove(files: Payload, oldTsPath: string): Promise<Set<string>> {
    let current: string[];
    try {
      current = await walk(this.#ops, oldTsPath);
    } catch (err) {
      if (isNotFound(err)) return new Set();
      throw err;
    }
    const wanted = new Set<string>();
    for (const file of files.keys()) {
      for (let sub = file; sub !== '' && sub !== '.'; sub = path.posix.dirname(sub)) {
        wanted.add(sub);
      }
    }
    return new Set(current.filter((p) => !wanted.has(p)));
  }

  async #newTimestampDir(): Promise<string> {
    for (;;) {
      // os.MkdirTemp's pattern: the time, then a random 32-bit decimal.
      const name = timestamp(this.#now()) + String(randomInt(0, 2 ** 32 - 1));
      const dir = path.join(this.#dir, name);
      try {
        await this.#ops.mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      // 0755 whatever the umask, so other users may traverse it.
      await this.#ops.chmod(dir, 0o755);
      return dir;
    }
  }

  /** One link per top-level name: `foo -> ..data/foo` (also for `foo/bar`). */
  async #createUserVisibleFiles(files: Payload): Promise<void> {
    for (const file of files.keys()) {
      const linkName = file.split('/')[0];
      const visible = path.join(this.#dir, linkName);
      try {
        await this.#ops.readlink(visible);
      } catch (err) {
        if (!isNotFound(err)) continue;
        await this.#ops.symlink(path.join(DATA_DIR, linkName), visible);
      }
    }
  }

  /** Removes the links of top-level names gone; deeper paths went with their version. */
  async #removeUserVisiblePaths(paths: Set<string>): Promise<void> {
    let last: unknown;
    for (const p of paths) {
      if (p.includes('/')) continue;
      try {
        await this.#ops.unlink(path.join(this.#dir, p));
      } catch (err) {
        last = err;
      }
    }
    if (last !== undefined) throw last;
  }
}

/** shouldWritePayload: whether any file is new or has other content. */
async function differs(ops: FileOps, files: Payload, oldTsPath: string): Promise<boolean> {
  for (const [p, content] of files) {
    const full = path.join(oldTsPath, p);
    try {
      await ops.lstat(full);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    if (!content.data.equals(await ops.readFile(full))) return true;
  }
  return false;
}

async function writePayloadToDir(ops: FileOps, files: Payload, dir: string): Promise<void> {
  for (const [p, content] of files) {
    const full = path.join(dir, p);
    await ops.mkdir(path.dirname(full), { recursive: true });
    await ops.writeFile(full, content.data, { mode: content.mode });
    // writeFile's mode passes through the umask; the projection's mode is exact.
    await ops.chmod(full, content.mode);
  }
}
