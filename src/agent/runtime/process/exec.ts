import { execFile, spawn } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, type ExecOptions, type ExecSession } from '../types.ts';
import type { HostTools } from './host.ts';
import { containerEnv, joinCgroupsScript, shellQuote } from './launch.ts';
import { signalGroup } from './proc.ts';
import { FILES, type ContainerRecord } from './records.ts';

// A command in a running container's context: its network and mount namespaces (entered
// with nsenter through the container's pid), its working directory, environment and
// cgroups. Without a TTY the command's stdio are pipes. With one, util-linux `script`
// allocates the pseudo-terminal (node has no pty without a native module): its stdin and
// stdout are our pipes, the command runs on the pty's slave side, stderr merges into
// stdout as on any terminal. `script` cannot learn a window size from a pipe, so the pty
// starts at 0x0 and `resize` sets it with `stty -F /dev/pts/N` on the command's terminal
// (found through /proc), which also delivers SIGWINCH.

function execArgv(tools: HostTools, record: ContainerRecord, command: string[], tty: boolean) {
  const argv: string[] = [];
  if (record.netns || record.mountNamespace) {
    argv.push(tools.nsenter!, `--target=${record.pid}`, '--wd');
    if (record.netns) argv.push('--net');
    if (record.mountNamespace) argv.push('--mount');
    argv.push('--');
  }
  const joinCgroups = joinCgroupsScript(record);
  if (joinCgroups) {
    const script = `fail() { echo "wharf: $1" >&2; exit 126; }\n${joinCgroups}\nexec "$@"`;
    argv.push(tools.sh, '-c', script, 'wharf-exec');
  }
  if (!tty) return [...argv, ...command];
  if (!tools.script)
    throw new RuntimeError('NotSupported', 'exec with a TTY needs script (util-linux)');
  return [
    ...argv,
    tools.script,
    '-q',
    '-e',
    '-c',
    `exec ${command.map(shellQuote).join(' ')}`,
    '/dev/null',
  ];
}

export async function execInContainer(
  tools: HostTools,
  record: ContainerRecord,
  dir: string,
  hostname: string,
  options: ExecOptions,
): Promise<ExecSession> {
  if (options.command.length === 0) throw new RuntimeError('NotSupported', 'exec needs a command');
  const argv = execArgv(tools, record, options.command, options.tty);
  const inNamespaces = record.netns || record.mountNamespace;
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true, // a group of its own, for the abort signal
    env: containerEnv(record, hostname),
    cwd: inNamespaces ? dir : (record.workingDir ?? join(dir, FILES.work)),
    stdio: [
      options.stdin ? 'pipe' : 'ignore',
      options.stdout ? 'pipe' : 'ignore',
      options.stderr || (options.tty && options.stdout) ? 'pipe' : 'ignore',
    ],
  });
  if (options.stdin && child.stdin) {
    child.stdin.on('error', () => undefined); // the command may exit without reading it all
    options.stdin.pipe(child.stdin);
  }
  const stderrTarget = options.tty ? options.stdout : options.stderr;
  if (options.stdout) child.stdout?.pipe(options.stdout, { end: false });
  if (stderrTarget) child.stderr?.pipe(stderrTarget, { end: false });
  const abort = () => child.pid && signalGroup(child.pid, 'SIGKILL');
  options.signal?.addEventListener('abort', abort);

  const exitCode = new Promise<number>((resolve, reject) => {
    child.once('error', (err) =>
      reject(
        new RuntimeError('RunContainer', `cannot exec ${argv[0]}: ${err.message}`, { cause: err }),
      ),
    );
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.stdin && child.stdin) options.stdin.unpipe(child.stdin);
      // Lets the piped output reach the caller's streams before the code is reported.
      setImmediate(() => resolve(code ?? 128 + (signal ? constants.signals[signal] : 9)));
    });
  });
  exitCode.catch(() => undefined); // when spawning fails, the session's promise says so
  let size: { columns: number; rows: number } | undefined;
  let resizing = false;
  const resize = async () => {
    resizing = true;
    for (let attempt = 0; size && attempt < 20 && child.exitCode === null; attempt++) {
      const tty = child.pid ? await commandTty(child.pid) : undefined;
      if (!tty) {
        await sleep(25);
        continue;
      }
      const { columns, rows } = size;
      size = undefined;
      await new Promise((done) =>
        execFile(tools.stty ?? 'stty', ['-F', tty, 'cols', `${columns}`, 'rows', `${rows}`], done),
      );
      attempt = 0;
    }
    resizing = false;
  };
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () =>
      resolve({
        exitCode,
        resize(columns, rows) {
          if (!options.tty) return;
          size = { columns, rows };
          if (!resizing) void resize();
        },
      }),
    );
  });
}

/** The terminal of the command `script` runs: its child's stdin, a /dev/pts/N. */
async function commandTty(scriptPid: number): Promise<string | undefined> {
  try {
    const children = await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8');
    const first = children.trim().split(' ')[0];
    if (!first) return undefined;
    const tty = await readlink(`/proc/${first}/fd/0`);
    return tty.startsWith('/dev/pts/') ? tty : undefined;
  } catch {
    return undefined;
  }
}
