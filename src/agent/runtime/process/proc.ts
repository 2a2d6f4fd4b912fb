import { readFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative } from 'node:path';
import type { Mount } from '../types.ts';
import { isExecutableFile } from './host.ts';

// Processes that are not the agent's children, known by pid and start time: a pid alone
// may have been reused by the time a restarted agent looks at it.

export interface ProcStat {
  /** R, S, D, Z, … (field 3 of /proc/<pid>/stat). */
  state: string;
  /** Clock ticks after boot (field 22); with the pid, identifies a process for good. */
  startTime: string;
}

function parseStat(text: string): ProcStat | undefined {
  // The command name (field 2) may contain spaces and parentheses; it ends at the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime ? { state, startTime } : undefined;
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether the process still runs: same start time, and not a zombie awaiting its reaper. */
export async function isAlive(pid: number, startTime: string): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z';
}

/** Signals a process group led by `pid`; false when there is none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

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
