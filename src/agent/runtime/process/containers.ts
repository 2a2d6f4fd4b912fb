import { resolve } from 'node:path';
import { RuntimeError, type ContainerSpec, type ContainerStatus } from '../types.ts';
import type { ContainerRecord, SandboxRecord } from './records.ts';

// What a container spec becomes in the process runtime, and what it refuses.
//
// Honoured differently: `image` is recorded (and is the imageRef), never fetched. `stdin`
// and `tty` are honoured as attach.ts explains, a TTY only where util-linux `script` can
// provide one. Without a mount namespace (not root) only mounts whose host path is the
// container path can be honoured — as no-ops.

export interface HostAbilities {
  mounts: boolean;
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
  };
}

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
