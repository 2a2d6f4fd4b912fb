import { resolve } from 'node:path';
import { podDescription, runAsNonRootViolation } from '../security.ts';
import {
  RuntimeError,
  type ContainerSecurity,
  type ContainerSpec,
  type ContainerStatus,
} from '../types.ts';
import type { ContainerRecord, SandboxRecord } from './records.ts';

// What a container spec becomes in the process runtime, and what it refuses.
//
// Honoured differently: `image` is recorded (and is the imageRef), never fetched. `stdin`
// and `tty` are honoured as attach.ts explains, a TTY only where util-linux `script` can
// provide one. Without a mount namespace (not root) only mounts whose host path is the
// container path can be honoured — as no-ops.

export interface HostAbilities {
  mounts: boolean;
  /** Root with util-linux `setpriv`: the command can run as another user. */
  identity: boolean;
  /** `script` is there to run a command on a pseudo-terminal. */
  tty: boolean;
  /** `mkfifo` is there for the pipe a container's stdin comes through. */
  stdin: boolean;
}

export function containerRecord(
  instance: string,
  id: string,
  sandbox: SandboxRecord,
  spec: ContainerSpec,
  can: HostAbilities,
): ContainerRecord {
  const fail = (message: string) => new RuntimeError('CreateContainer', message);
  if (spec.command.length === 0) {
    throw fail(
      `container "${spec.name}" has no command: the process runtime runs commands on the host and cannot use the image's entrypoint; set spec.containers[].command`,
    );
  }
  const binds = spec.mounts.filter((m) => resolve(m.hostPath) !== resolve(m.containerPath));
  if (binds.length > 0 && !can.mounts) {
    const list = binds.map((m) => `${m.hostPath} at ${m.containerPath}`).join(', ');
    throw fail(
      `container "${spec.name}" mounts ${list}: the process runtime can mount volumes only when running as root (with util-linux unshare and mount)`,
    );
  }
  if (spec.tty && !can.tty) {
    throw fail(
      `container "${spec.name}" has tty: true: the process runtime runs it on a terminal with script (util-linux), which is not installed`,
    );
  }
  if ((spec.stdin || spec.tty) && !can.stdin) {
    throw fail(
      `container "${spec.name}" has ${spec.stdin ? 'stdin' : 'tty'}: true: the process runtime needs mkfifo (coreutils) for its stdin`,
    );
  }
  const pod = podDescription(spec.podName, spec.namespace, spec.podUid);
  const why = spec.security
    ? runAsNonRootViolation(spec.security, hostUser(spec.security, can), {
        pod,
        container: spec.name,
      })
    : undefined;
  if (why) throw new RuntimeError('CreateContainerConfig', why);
  const { podUid, podName, namespace, name, attempt, hash, image, command, args } = spec;
  return {
    ...{ instance, id, sandboxId: sandbox.id, podUid, podName, namespace, name, attempt, hash },
    ...{ image, imageRef: image, command, args, workingDir: spec.workingDir, env: spec.env },
    mounts: binds,
    resources: spec.resources,
    ...{ stdin: spec.stdin, stdinOnce: spec.stdin && spec.stdinOnce, tty: spec.tty },
    state: 'created',
    createdAt: new Date().toISOString(),
    netns: sandbox.netns,
    mountNamespace: binds.length > 0,
    ...(can.identity && spec.security ? identityOf(spec.security) : {}),
  };
}

/**
 * Who the command runs as when the spec names no user: the agent's own user, the
 * process runtime's stand-in for an image's. With a user it cannot take (not root), that
 * is who it runs as all the same (the agent says so in an event).
 */
function hostUser(security: ContainerSecurity, can: HostAbilities): { uid: number } {
  const own = process.getuid?.() ?? 0;
  return { uid: can.identity ? (security.runAsUser ?? own) : own };
}

/** What setpriv applies to the command (launch.ts): user, group, groups, no-new-privs. */
function identityOf(security: ContainerSecurity): Pick<ContainerRecord, 'identity'> {
  const { runAsUser, runAsGroup, supplementalGroups, noNewPrivileges } = security;
  const boundingSet = boundingSetOf(security);
  const asked =
    runAsUser !== undefined ||
    runAsGroup !== undefined ||
    supplementalGroups.length > 0 ||
    noNewPrivileges ||
    boundingSet !== undefined;
  if (!asked) return {};
  return {
    identity: {
      ...(runAsUser !== undefined ? { uid: runAsUser } : {}),
      ...(runAsGroup !== undefined ? { gid: runAsGroup } : {}),
      groups: supplementalGroups,
      noNewPrivileges,
      ...(boundingSet ? { boundingSet } : {}),
    },
  };
}

/**
 * `capabilities.drop` as setpriv's capability bounding set. A host process starts from
 * all capabilities (the host's root), so `add` only matters after `drop: [ALL]`; without
 * root nothing is effective either way, as in a container. Unknown names are refused as
 * the engine refuses them.
 */
function boundingSetOf(security: ContainerSecurity): string | undefined {
  const name = (cap: string) => {
    const plain = cap.toLowerCase().replace(/^cap_/, '');
    if (plain !== 'all' && !CAPABILITIES.has(plain)) {
      throw new RuntimeError('CreateContainer', `unknown capability "${cap}"`);
    }
    return plain;
  };
  const drop = security.capDrop.map(name);
  const add = security.capAdd.map(name).filter((c) => c !== 'all');
  if (drop.length === 0) return undefined;
  if (drop.includes('all')) return ['-all', ...add.map((c) => `+${c}`)].join(',');
  return (
    drop
      .filter((c) => !add.includes(c))
      .map((c) => `-${c}`)
      .join(',') || undefined
  );
}

/** capabilities(7), without the CAP_ prefix. */
const CAPABILITIES = new Set([
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'linux_immutable',
  'net_bind_service',
  'net_broadcast',
  'net_admin',
  'net_raw',
  'ipc_lock',
  'ipc_owner',
  'sys_module',
  'sys_rawio',
  'sys_chroot',
  'sys_ptrace',
  'sys_pacct',
  'sys_admin',
  'sys_boot',
  'sys_nice',
  'sys_resource',
  'sys_time',
  'sys_tty_config',
  'mknod',
  'lease',
  'audit_write',
  'audit_control',
  'setfcap',
  'mac_override',
  'mac_admin',
  'syslog',
  'wake_alarm',
  'block_suspend',
  'audit_read',
  'perfmon',
  'bpf',
  'checkpoint_restore',
]);

export function containerStatus(r: ContainerRecord): ContainerStatus {
  const date = (s?: string) => (s ? new Date(s) : undefined);
  const { id, sandboxId, podUid, podName, namespace, name, attempt, hash, image, imageRef } = r;
  return {
    ...{ id, sandboxId, podUid, podName, namespace, name, attempt, hash, image, imageRef },
    state: r.state,
    createdAt: new Date(r.createdAt),
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.message ? { message: r.message } : {}),
  };
}
