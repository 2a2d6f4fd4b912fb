import { readFile } from 'node:fs/promises';

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
