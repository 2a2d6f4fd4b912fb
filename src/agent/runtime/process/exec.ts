import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { RuntimeError, type ExecOptions, type ExecSession } from '../types.ts';
import type { HostTools } from './host.ts';
import { containerEnv, identityArgs, joinCgroupsScript, shellQuote } from './launch.ts';
import { signalGroup } from '../host/index.ts';
import { FILES, type ContainerRecord } from './records.ts';
import { TerminalResizer, terminalOf } from './terminal.ts';

// A command in a running container's context: its network and mount namespaces (entered
// with nsenter through the container's pid), its working directory, environment and
// cgroups. Without a TTY the command's stdio are pipes. With one, util-linux `script`
// allocates the pseudo-terminal (terminal.ts): its stdin and stdout are our pipes, the
// command runs on the pty's slave side, stderr merges into stdout as on any terminal.

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
  // Exec runs as the container does (its runAsUser, groups, no-new-privs).
  argv.push(...identityArgs(tools, record));
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
  const terminal = new TerminalResizer({
    find: async () => (child.pid ? (await terminalOf(child.pid))?.tty : undefined),
    running: () => child.exitCode === null,
    stty: tools.stty,
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () =>
      resolve({
        exitCode,
        resize(columns, rows) {
          if (options.tty) terminal.resize(columns, rows);
        },
      }),
    );
  });
}
