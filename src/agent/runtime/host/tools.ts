import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the runtimes look for their helper binaries; the agent's own PATH is not trusted. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function which(name: string, path = SYSTEM_PATH): Promise<string | undefined> {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Synchronous inside: it runs on every container start, and two metadata calls take
 * microseconds, while each trip through a busy event loop can take milliseconds.
 */
export async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
