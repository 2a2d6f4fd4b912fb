import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigError } from './types.ts';

// hostPath volumes, as the kubelet's hostPath plugin (1.32) sets them up: the path must
// not step back with `..`, and `type` is checked against what is there (following
// symlinks); the *OrCreate types create what is missing. The path itself is never
// removed or changed otherwise.

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    // hostutil.PathExists: anything that cannot be stat'ed counts as missing.
    return undefined;
  }
}

/** makeDir: MkdirAll with 0755; an existing path is left alone. */
async function makeDir(p: string): Promise<void> {
  try {
    await mkdir(p, { recursive: true, mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** makeFile: an empty 0644 file; parents are not created. */
async function makeFile(p: string): Promise<void> {
  try {
    await (await open(p, 'a', 0o644)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

const CHECKS: Record<string, [description: string, test: (s: Stats) => boolean]> = {
  Directory: ['a directory', (s) => s.isDirectory()],
  File: ['a file', (s) => s.isFile()],
  Socket: ['a socket file', (s) => s.isSocket()],
  CharDevice: ['a character device', (s) => s.isCharacterDevice()],
  BlockDevice: ['a block device', (s) => s.isBlockDevice()],
};

/** Prepares a hostPath volume; throws ConfigError with the kubelet's messages. */
export async function setUpHostPath(hostPath: string, type = ''): Promise<void> {
  if (hostPath.split('/').includes('..')) {
    throw new ConfigError(`invalid HostPath \`${hostPath}\`: must not contain '..'`);
  }
  if (type === '') return;
  let check = type;
  if (type === 'DirectoryOrCreate' || type === 'FileOrCreate') {
    if (!(await statOrUndefined(hostPath))) {
      try {
        await (type === 'DirectoryOrCreate' ? makeDir(hostPath) : makeFile(hostPath));
      } catch (err) {
        throw new ConfigError((err as Error).message, { cause: err });
      }
      return;
    }
    check = type === 'DirectoryOrCreate' ? 'Directory' : 'File';
  }
  const entry = CHECKS[check];
  if (!entry) throw new ConfigError(`${type} is an invalid volume type`);
  const [description, test] = entry;
  const found = await statOrUndefined(hostPath);
  if (!found || !test(found)) {
    throw new ConfigError(`hostPath type check failed: ${hostPath} is not ${description}`);
  }
}
