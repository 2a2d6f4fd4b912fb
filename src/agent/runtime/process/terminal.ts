import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

// Pseudo-terminals made by util-linux `script` (node has no pty without a native module),
// for exec -t and for containers with `tty: true`. `script` runs the command as its child,
// in a session of its own on the terminal's slave side. The terminal is found through
// /proc, as the child's stdin; `script` cannot learn a window size from a pipe, so the
// terminal starts at 0x0 and is sized with `stty -F /dev/pts/N`, which also delivers
// SIGWINCH to the command.

export async function childPids(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The command `script` (`scriptPid`) runs, and its terminal, once it runs. */
export async function terminalOf(
  scriptPid: number,
): Promise<{ pid: number; tty: string } | undefined> {
  const [pid] = await childPids(scriptPid);
  if (!pid) return undefined;
  try {
    const tty = await readlink(`/proc/${pid}/fd/0`);
    return tty.startsWith('/dev/pts/') ? { pid, tty } : undefined;
  } catch {
    return undefined;
  }
}

/** The `script` among the children of a container's shim, and the command it runs. */
export async function containerTerminal(
  shimPid: number,
): Promise<{ pid: number; tty: string } | undefined> {
  for (const child of await childPids(shimPid)) {
    const comm = await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'script') return terminalOf(child);
  }
  return undefined;
}

/**
 * Applies the latest size asked for to a terminal that may not exist yet (the command is
 * still starting): sizes that arrive while one is being set collapse into the newest.
 */
export class TerminalResizer {
  readonly #find: () => Promise<string | undefined>;
  readonly #running: () => boolean;
  readonly #stty: string;
  #size: { columns: number; rows: number } | undefined;
  #busy = false;

  constructor(options: {
    find: () => Promise<string | undefined>;
    running: () => boolean;
    stty?: string;
  }) {
    this.#find = options.find;
    this.#running = options.running;
    this.#stty = options.stty ?? 'stty';
  }

  resize(columns: number, rows: number): void {
    this.#size = { columns, rows };
    if (!this.#busy) void this.#apply();
  }

  async #apply(): Promise<void> {
    this.#busy = true;
    for (let attempt = 0; this.#size && attempt < 20 && this.#running(); attempt++) {
      const tty = await this.#find();
      if (!tty) {
        await sleep(25);
        continue;
      }
      const { columns, rows } = this.#size;
      this.#size = undefined;
      const args = ['-F', tty, 'cols', `${columns}`, 'rows', `${rows}`];
      await new Promise((done) => execFile(this.#stty, args, done));
      attempt = 0;
    }
    this.#busy = false;
  }
}
