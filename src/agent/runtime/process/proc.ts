import { isAbsolute, join, posix, relative } from 'node:path';
import type { Mount } from '../types.ts';
import { isExecutableFile } from '../host/index.ts';

/**
 * Where a path the container sees lies on the host: under the mount with the longest
 * matching container path, else the same path (a process container shares the host's
 * file system).
 */
export function hostPathOf(containerPath: string, mounts: Mount[]): string {
  let best: Mount | undefined;
  for (const m of mounts) {
    const rel = relative(m.containerPath, containerPath);
    const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    if (inside && (!best || m.containerPath.length > best.containerPath.length)) best = m;
  }
  return best ? join(best.hostPath, relative(best.containerPath, containerPath)) : containerPath;
}

/**
 * Finds the executable a container's command names, as the container will see it
 * (mounts included), the way execvp would: a name with a slash is a path relative to the
 * working directory, other names are searched in PATH. Returns why not, or undefined.
 */
export async function whyNotExecutable(
  file: string,
  options: { path: string; cwd: string; mounts: Mount[] },
): Promise<string | undefined> {
  const check = (p: string) => isExecutableFile(hostPathOf(p, options.mounts));
  if (file.includes('/')) {
    if (await check(posix.resolve(options.cwd, file))) return undefined;
    return `executable file ${JSON.stringify(file)} not found or not executable`;
  }
  for (const dir of options.path.split(':')) {
    if (await check(posix.resolve(options.cwd, dir || '.', file))) return undefined;
  }
  return `executable file ${JSON.stringify(file)} not found in $PATH (${options.path})`;
}
