import { join } from 'node:path';
import { RuntimeError } from '../types.ts';
import type { CgroupSetup } from './cgroups.ts';
import type { HostTools } from './host.ts';
import { netnsPath } from '../podnet/index.ts';
import { FILES, fileIn, type ContainerDirs, type ContainerRecord } from './records.ts';
import type { ChildExit, Spawner } from '../host/index.ts';

// How a container's process starts. It must outlive the agent, so it is spawned detached
// (a session and process group of its own, which is also what stop signals) with its
// stdout and stderr on files, never on pipes to the agent; the spawner helper forks it,
// not the agent (host/spawner.ts says why). Exec chain, all in one pid:
//
//   [nsenter --net=<pod netns> --] [unshare --mount --propagation slave --]
//     sh -c <shim> wharf-shim <command> <args…>
//
// The shim joins the container's cgroups before anything of the user runs, bind-mounts
// the volumes, changes to the working directory, reports "ok" on fd 3 (a pipe to the
// spawner, closed before the command runs) or why not, then runs the command as its
// child and writes the command's exit status to a file: the only way a later agent,
// whose spawner is not the parent, learns it. The shim traps TERM and INT with a no-op handler, so a stop
// (signalled to the whole group) reaches the command while the shim waits; a handler —
// unlike `trap ''` — is reset for the child, which so sees the signals as usual. A
// SIGKILL of the group takes the shim too: the missing file then means 137.
//
// Propagation is `slave`, not `private`: the container's mounts stay its own, but unmounts
// on the host still reach it — otherwise every such namespace would pin the other pods'
// /run/netns mounts, and with them their network namespaces, until it ends.
//
// A container with `stdin` or `tty` reads its stdin from a FIFO in its directory, which
// the agent writes to while a client is attached. A pipe ends for its reader when its
// last writer closes, so the shim starts a *holder*, a subshell that keeps a writer open
// while it reads a line from a second FIFO (`stdin-hold`): the process never sees EOF —
// across attaches and agent restarts — until the agent writes that line (stdinOnce) or
// the shim ends (its own end of `stdin-hold` closes, however it ends, so no pid is
// needed). The holder ignores stop signals: a stop does not close stdin.
//
// With `tty` the command runs under util-linux `script`, which puts it on a new
// pseudo-terminal (its own session) and copies the FIFO to the terminal and the terminal
// to the stdout file. `script` answers SIGTERM by killing its child after 2 s and exits 0,
// so a stop signals the terminal's process group instead (terminal.ts), never `script`.

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The container's whole environment: nothing of the agent's leaks in. */
export function containerEnv(record: ContainerRecord, hostname: string): Record<string, string> {
  const env: Record<string, string> = { HOSTNAME: hostname };
  for (const { name, value } of record.env) env[name] = value;
  env.PATH ??= DEFAULT_PATH;
  if (record.tty) env.TERM ??= 'xterm'; // as Docker and containerd set it
  return env;
}

/** `echo $$ > …/cgroup.procs` for every group of the container, failing with `fail`. */
export function joinCgroupsScript(record: ContainerRecord): string {
  return (record.cgroups?.dirs ?? [])
    .map((d) => join(d, 'cgroup.procs'))
    .map((f) => `echo $$ > ${shellQuote(f)} || fail ${shellQuote(`cannot join cgroup ${f}`)}`)
    .join('\n');
}

export function namespacePrefix(tools: HostTools, record: ContainerRecord): string[] {
  const prefix: string[] = [];
  if (record.netns) prefix.push(tools.nsenter!, `--net=${netnsPath(record.netns)}`, '--');
  if (record.mountNamespace) prefix.push(tools.unshare!, '--mount', '--propagation', 'slave', '--');
  return prefix;
}

/** The command line `script` runs on the terminal, with the container's own SHELL. */
function terminalCommand(record: ContainerRecord): string {
  const shell = record.env.findLast((e) => e.name === 'SHELL');
  const words = [...record.command, ...record.args].map(shellQuote).join(' ');
  return `${shell ? `SHELL=${shellQuote(shell.value)}` : 'unset SHELL'}; exec ${words}`;
}

/**
 * `setpriv … --` for the command when the securityContext names its identity: the user
 * and group (root's when only one is named, as a container's image would give), exactly
 * the supplementalGroups (root's own are dropped), the capabilities it drops, no-new-privs.
 * Empty otherwise.
 */
export function identityArgs(tools: HostTools, record: ContainerRecord): string[] {
  const id = record.identity;
  if (!id || !tools.setpriv) return [];
  const args: string[] = [tools.setpriv];
  if (id.uid !== undefined || id.gid !== undefined) {
    args.push(`--reuid=${id.uid ?? 0}`, `--regid=${id.gid ?? 0}`);
    args.push(id.groups.length ? `--groups=${id.groups.join(',')}` : '--clear-groups');
  } else if (id.groups.length) {
    args.push(`--groups=${id.groups.join(',')}`);
  }
  if (id.boundingSet) args.push(`--bounding-set=${id.boundingSet}`);
  if (id.noNewPrivileges) args.push('--no-new-privs');
  return [...args, '--'];
}

/** The shim's lines that start the command, with the stdin holder when there is one. */
function runCommand(tools: HostTools, record: ContainerRecord, dirs: ContainerDirs): string[] {
  const q = shellQuote;
  const ready = ['printf ok >&3', 'exec 3>&-'];
  const as = identityArgs(tools, record)
    .map((a) => `${q(a)} `)
    .join('');
  // `exec` in a subshell: always the program, never a shell builtin of the same name.
  if (!record.stdin && !record.tty) return [...ready, `(exec ${as}"$@")`, 'rc=$?'];
  const [stdin, hold] = [q(fileIn(dirs, FILES.stdin)), q(fileIn(dirs, FILES.stdinHold))];
  // `script` runs the command line with $SHELL: the host's sh, whatever the container's is.
  const command = record.tty
    ? `(SHELL=${q(tools.sh)}; export SHELL; exec ${as}${q(tools.script!)} -q -e -c ${q(terminalCommand(record))} /dev/null)`
    : `(exec ${as}"$@")`;
  // fd 4, a writer of the stdin FIFO, is for the holder to inherit. fd 5, the shim's end
  // of `stdin-hold`, keeps the holder's `read` waiting while the shim lives: it closes
  // when the shim ends, however it ends, and the holder leaves.
  return [
    `exec 4<>${stdin} 5<>${hold} || fail 'cannot open the stdin FIFOs'`,
    `( trap '' TERM INT; read _ ) < ${hold} 3>&- 5>&- &`,
    'exec 4>&-',
    ...ready,
    `${command} < ${stdin} 5>&-`,
    'rc=$?',
    'exec 5>&-',
  ];
}

function shimScript(tools: HostTools, record: ContainerRecord, dirs: ContainerDirs): string {
  const q = shellQuote;
  const workingDir = record.workingDir ?? fileIn(dirs, FILES.work);
  const lines = [
    'trap : TERM INT',
    `fail() { printf '%s' "$1" >&3; exit 128; }`,
    joinCgroupsScript(record),
  ];
  const [only] = record.mounts;
  if (record.mounts.length === 1 && only) {
    // One `mount` for a read-only bind too: util-linux (≥ 2.27) binds, then remounts the
    // bind read-only itself. Recursive, as runc binds: a hostPath of / shows /proc too.
    const ro = only.readOnly ? ['-o', 'ro'] : [];
    const what = `${only.hostPath} at ${only.containerPath}${only.readOnly ? ' read-only' : ''}`;
    const args = [tools.mount!, '--rbind', ...ro, '--', only.hostPath, only.containerPath];
    lines.push(`out=$(${args.map(q).join(' ')} 2>&1) || fail ${q(`cannot mount ${what}: `)}"$out"`);
  } else if (record.mounts.length > 1) {
    // All of them with one `mount`, from the table fstabText() wrote: ~1.7 ms of CPU for
    // any number, against ~1.5 ms for each one mounted alone. Its message names the
    // mount point that failed.
    const args = [tools.mount!, '-a', '-T', fileIn(dirs, FILES.fstab)].map(q);
    lines.push(`out=$(${args.join(' ')} 2>&1) || fail ${q('cannot mount the volumes: ')}"$out"`);
  }
  lines.push(
    `cd -- ${q(workingDir)} 2>/dev/null || fail ${q(`cannot change to the working directory ${workingDir}`)}`,
    ...runCommand(tools, record, dirs),
    `echo "$rc" > ${q(fileIn(dirs, FILES.exit))}`,
    `exit "$rc"`,
  );
  return lines.filter(Boolean).join('\n');
}

/**
 * The container's mounts as an fstab for `mount -a -T`: recursive binds in order (a later
 * one at the same path covers an earlier one), read-only ones bound and then remounted
 * read-only by util-linux (≥ 2.27) — the top mount only, as in Kubernetes without
 * recursive read-only mounts — fields escaped as fstab(5) wants.
 */
export function fstabText(mounts: ContainerRecord['mounts']): string {
  const field = (s: string) =>
    s
      .replace(/\\/g, '\\134')
      .replace(/ /g, '\\040')
      .replace(/\t/g, '\\011')
      .replace(/\n/g, '\\012');
  return mounts
    .map(
      (m) =>
        `${field(m.hostPath)} ${field(m.containerPath)} none ${m.readOnly ? 'rbind,ro' : 'rbind'} 0 0\n`,
    )
    .join('');
}

export interface Launched {
  pid: number;
  startTime: string;
  /** Resolves with undefined once the shim is ready to run the command, else why not. */
  setup: Promise<string | undefined>;
  /** The shim's end, as its parent (the spawner) sees it (listened to from the start). */
  exit: Promise<ChildExit>;
}

export async function launchContainer(
  spawner: Spawner,
  tools: HostTools,
  record: ContainerRecord,
  dirs: ContainerDirs,
  hostname: string,
  cgroups?: CgroupSetup,
): Promise<Launched> {
  const argv = [
    ...namespacePrefix(tools, record),
    tools.sh,
    '-c',
    shimScript(tools, record, dirs),
    'wharf-shim',
    ...record.command,
    ...record.args,
  ];
  let launched;
  try {
    launched = await spawner.launch({
      file: argv[0]!,
      args: argv.slice(1),
      env: containerEnv(record, hostname),
      cwd: dirs.dir,
      stdout: fileIn(dirs, FILES.stdout),
      stderr: fileIn(dirs, FILES.stderr),
      ...prepareFiles(record, dirs, cgroups),
    });
  } catch (cause) {
    const what =
      (cause as { stage?: string }).stage === 'prepare'
        ? `cannot make the cgroups or mount table of ${record.name}`
        : `cannot start ${argv[0]}`;
    const message = `${what}: ${(cause as Error).message}`;
    throw new RuntimeError('RunContainer', message, { cause });
  }
  const setup = launched.setup.then((said) => (said === 'ok' ? undefined : said));
  return { ...launched, setup };
}

/** What the spawner writes right before the spawn: the cgroups, and the mount table. */
function prepareFiles(
  record: ContainerRecord,
  dirs: ContainerDirs,
  cgroups: CgroupSetup | undefined,
): { prepare?: CgroupSetup } {
  const files = [...(cgroups?.files ?? [])];
  if (record.mounts.length > 1) {
    files.push({ path: fileIn(dirs, FILES.fstab), text: fstabText(record.mounts) });
  }
  if (!cgroups && files.length === 0) return {};
  return { prepare: { dirs: cgroups?.dirs ?? [], files } };
}
