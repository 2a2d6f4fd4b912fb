import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, onTmpfs, readdir, readFile, rename, rm, writeFile } from '../host/index.ts';
import { join } from 'node:path';
import type {
  ContainerResources,
  ContainerState,
  Mount,
  PortMapping,
  SandboxSpec,
} from '../types.ts';
import type { ContainerCgroups } from './cgroups.ts';
import type { PodLink } from '../podnet/index.ts';

// The process runtime's memory is in two directories; nothing lives only in the agent.
// What ends with the machine (records, exit codes, FIFOs, the pods' /etc files) is in
// the runtime directory, on tmpfs where there is one (run-dir.ts), as containerd keeps
// its task state under /run. The rest is in the state directory, under the data dir:
// the logs and working directories, which outlive a reboot, and the raw output, which
// must not be on tmpfs. Its pages would count against the writing container's memory
// limit until the agent has logged and released them: an agent that is down or behind
// would get a chatty container OOM-killed. Without a tmpfs both are the state directory.
//
//   <runDir>/<instance>/sandboxes/<id>.json
//   <runDir>/<instance>/containers/<id>/state.json       the ContainerRecord
//                                       exit-code        written by the shim
//                                       stdin            FIFO: the process's stdin (stdin or tty)
//                                       stdin-hold       FIFO: releases the shim's hold on stdin
//                                       stdin-closed     stdinOnce has closed stdin for good
//   <runDir>/<instance>/pod-etc/<sandbox id>/resolv.conf, hosts   the pod's own (as root)
//   <runDir>/<instance>/state-dir                        the state directory's path (run-dir.ts)
//   <stateDir>/<instance>/containers/<id>/stdout, stderr written by the process itself
//                                         container.log  CRI-format, written by the agent
//                                         container.log.1  the rotated one
//                                         log-offsets.json how far the agent has read
//                                         work/          default working directory
//
// Records are replaced atomically (write + rename), so a crash never leaves half a file.
// One agent per instance and state directory: two processes tailing the same container
// would log its lines twice.

export const FILES = {
  state: 'state.json',
  stdout: 'stdout',
  stderr: 'stderr',
  log: 'container.log',
  offsets: 'log-offsets.json',
  exit: 'exit-code',
  work: 'work',
  stdin: 'stdin',
  stdinHold: 'stdin-hold',
  stdinClosed: 'stdin-closed',
  fstab: 'fstab',
} as const;

export type ContainerFile = (typeof FILES)[keyof typeof FILES];

/** The container's files in the runtime directory; the others are in the state directory. */
export const RUN_FILES: ReadonlySet<ContainerFile> = new Set([
  FILES.state,
  FILES.exit,
  FILES.stdin,
  FILES.stdinHold,
  FILES.stdinClosed,
  FILES.fstab,
]);

/** A container's directory in the state directory and its directory in the runtime directory. */
export interface ContainerDirs {
  dir: string;
  runDir: string;
}

export function fileIn(dirs: ContainerDirs, file: ContainerFile): string {
  return join(RUN_FILES.has(file) ? dirs.runDir : dirs.dir, file);
}

export interface SandboxRecord {
  instance: string;
  id: string;
  podUid: string;
  podName: string;
  namespace: string;
  hostname: string;
  hostNetwork: boolean;
  ports: PortMapping[];
  state: 'ready' | 'notready';
  ips: string[];
  createdAt: string;
  /** `ip netns` name of the pod's network namespace; absent on the host network. */
  netns?: string;
  /** The CNI network the sandbox was attached with, for the matching DEL. */
  network?: { name: string; bridge: string; subnet: string };
  /** How podnet/pod-network.ts attached it; absent: the CNI plugins did (agents before it). */
  link?: PodLink;
  /** The pod's own /etc/resolv.conf and /etc/hosts, mounted in every container (podnet/pod-etc-files.ts). */
  etcMounts?: Mount[];
}

export interface ContainerRecord {
  instance: string;
  id: string;
  sandboxId: string;
  podUid: string;
  podName: string;
  namespace: string;
  name: string;
  attempt: number;
  hash: string;
  image: string;
  imageRef: string;
  command: string[];
  args: string[];
  workingDir?: string;
  env: Array<{ name: string; value: string }>;
  mounts: Mount[];
  resources: ContainerResources;
  /** The spec's stdio; records written before attach existed have none of them. */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  state: Exclude<ContainerState, 'unknown'>;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
  message?: string;
  /** The shim's pid and its start time (/proc/<pid>/stat field 22) against pid reuse. */
  pid?: number;
  pidStartTime?: string;
  netns?: string;
  /** Whether the container has a mount namespace of its own (it has mounts). */
  mountNamespace?: boolean;
  cgroups?: ContainerCgroups;
  /** Mount points that did not exist on the host and were created for this container. */
  createdMountPoints?: string[];
  /** The securityContext's identity, applied with setpriv as root (launch.ts). */
  identity?: {
    uid?: number;
    gid?: number;
    groups: number[];
    noNewPrivileges: boolean;
    /** setpriv's --bounding-set, from capabilities.drop (and add after drop ALL). */
    boundingSet?: string;
  };
}

const ID = /^[0-9a-f]{24}$/;

export function newId(): string {
  return randomBytes(12).toString('hex');
}

/** A file-system-safe name for an instance (kept readable when it already is). */
export function instanceDirName(instance: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(instance)) return instance;
  return `i-${createHash('sha256').update(instance).digest('hex').slice(0, 24)}`;
}

// What this process last wrote or read of each record, by path: the files are the truth,
// but a pod's start reads its records a dozen times, each read four trips through the
// thread pool and the event loop. Only this process writes them (one agent per state
// directory); drivers of one instance in one process share the cache, as they share the
// files. Kept as JSON text, so every read returns an object of its own.
//
// On a disk, writes stay off the event loop: while the API server's store syncs its
// journal, a file created on the same file system can block for milliseconds. On tmpfs
// they are synchronous: a write there takes microseconds, less than the event loop pays
// to hand it to the thread pool and take the answer back (and, on a busy machine, than
// the switch to the worker thread it wakes).
const recordCache = new Map<string, string>();

async function writeJsonAtomic(path: string, value: unknown, sync: boolean): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  if (sync) writeFileSync(tmp, text);
  else await writeFile(tmp, text);
  // Cached before the rename: a removal that ends meanwhile then either deleted the
  // entry after this or made the rename fail, never leaves a removed record cached.
  recordCache.set(path, text);
  try {
    if (sync) renameSync(tmp, path);
    else await rename(tmp, path);
  } catch (err) {
    recordCache.delete(path);
    throw err;
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  let text = recordCache.get(path);
  if (text === undefined) {
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    recordCache.set(path, text);
  }
  return JSON.parse(text) as T;
}

export interface RecordDirs {
  /** e.g. `<dataDir>/process-runtime`: logs and working directories. */
  stateDir: string;
  /** Records, exit codes, FIFOs, /etc files; the state directory when not given. */
  runDir?: string;
}

export class RecordStore {
  readonly instance: string;
  /** This instance's directory in the state directory. */
  readonly stateRoot: string;
  /** This instance's directory in the runtime directory (the state root without a tmpfs). */
  readonly runRoot: string;
  readonly #sandboxes: string;
  readonly #containers: string;
  readonly #containerRecords: string;
  /** The runtime directory is on tmpfs: its files are written synchronously. */
  #inMemory = false;

  constructor(dirs: RecordDirs, instance: string) {
    this.instance = instance;
    this.stateRoot = join(dirs.stateDir, instanceDirName(instance));
    this.runRoot = join(dirs.runDir ?? dirs.stateDir, instanceDirName(instance));
    this.#sandboxes = join(this.runRoot, 'sandboxes');
    this.#containers = join(this.stateRoot, 'containers');
    this.#containerRecords = join(this.runRoot, 'containers');
  }

  /** Whether records are kept apart from logs (in a runtime directory of their own). */
  get separate(): boolean {
    return this.runRoot !== this.stateRoot;
  }

  async init(): Promise<void> {
    await mkdir(this.#sandboxes, { recursive: true });
    await mkdir(this.#containerRecords, { recursive: true });
    if (this.separate) await mkdir(this.#containers, { recursive: true });
    this.#inMemory = onTmpfs(this.runRoot);
  }

  get inMemory(): boolean {
    return this.#inMemory;
  }

  /** The container's directory in the state directory: logs and working directory. */
  containerDir(id: string): string {
    return join(this.#containers, id);
  }

  /** The container's directory in the runtime directory: record, exit code, FIFOs. */
  containerRunDir(id: string): string {
    return join(this.#containerRecords, id);
  }

  containerDirs(id: string): ContainerDirs {
    return { dir: this.containerDir(id), runDir: this.containerRunDir(id) };
  }

  containerFile(id: string, file: ContainerFile): string {
    return fileIn(this.containerDirs(id), file);
  }

  /** Makes the container's directories, with its default working directory. */
  async makeContainerDirs(id: string): Promise<void> {
    // The runtime directory's first: a driver starting meanwhile removes state
    // directories that have none (run-dir.ts), never this one.
    const runDir = this.containerRunDir(id);
    if (this.separate && this.#inMemory) mkdirSync(runDir, { recursive: true });
    else if (this.separate) await mkdir(runDir, { recursive: true });
    await mkdir(join(this.containerDir(id), FILES.work), { recursive: true });
  }

  newSandbox(spec: SandboxSpec): SandboxRecord {
    const { podUid, podName, namespace, hostname, hostNetwork, ports } = spec;
    const id = newId();
    const createdAt = new Date().toISOString();
    return {
      instance: this.instance,
      id,
      podUid,
      podName,
      namespace,
      hostname,
      hostNetwork,
      ports,
      state: 'ready',
      ips: [],
      createdAt,
    };
  }

  async readSandbox(id: string): Promise<SandboxRecord | undefined> {
    if (!ID.test(id)) return undefined;
    const record = await readJson<SandboxRecord>(join(this.#sandboxes, `${id}.json`));
    return record?.instance === this.instance ? record : undefined;
  }

  writeSandbox(record: SandboxRecord): Promise<void> {
    return writeJsonAtomic(join(this.#sandboxes, `${record.id}.json`), record, this.#inMemory);
  }

  async deleteSandbox(id: string): Promise<void> {
    if (!ID.test(id)) return;
    const path = join(this.#sandboxes, `${id}.json`);
    await rm(path, { force: true });
    recordCache.delete(path);
  }

  async listSandboxes(): Promise<SandboxRecord[]> {
    const names = await readdir(this.#sandboxes).catch(() => []);
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    const records = await Promise.all(ids.map((id) => this.readSandbox(id)));
    return records.filter((r): r is SandboxRecord => r !== undefined);
  }

  async readContainer(id: string): Promise<ContainerRecord | undefined> {
    if (!ID.test(id)) return undefined;
    const record = await readJson<ContainerRecord>(this.containerFile(id, FILES.state));
    return record?.instance === this.instance ? record : undefined;
  }

  /** Replaces the record; fails with ENOENT once the container has been removed. */
  writeContainer(record: ContainerRecord): Promise<void> {
    const path = this.containerFile(record.id, FILES.state);
    return writeJsonAtomic(path, record, this.#inMemory);
  }

  /** Removes the record first: a writeContainer that ends meanwhile fails (ENOENT). */
  async deleteContainer(id: string): Promise<void> {
    if (!ID.test(id)) return;
    await rm(this.containerRunDir(id), { recursive: true, force: true });
    recordCache.delete(this.containerFile(id, FILES.state));
    if (this.separate) await rm(this.containerDir(id), { recursive: true, force: true });
  }

  async listContainers(): Promise<ContainerRecord[]> {
    const names = await readdir(this.#containerRecords).catch(() => []);
    const ids = names.filter((n) => ID.test(n));
    const records = await Promise.all(ids.map((id) => this.readContainer(id)));
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }
}
