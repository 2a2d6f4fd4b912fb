import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from './fs-calls.ts';
import { join } from 'node:path';
import type {
  ContainerResources,
  ContainerState,
  Mount,
  PortMapping,
  SandboxSpec,
} from '../types.ts';
import type { ContainerCgroups } from './cgroups.ts';
import type { PodLink } from './pod-network.ts';

// The process runtime's memory is its state directory; nothing lives only in the agent.
//
//   <stateDir>/<instance>/sandboxes/<id>.json
//   <stateDir>/<instance>/containers/<id>/state.json      the ContainerRecord
//                                        stdout, stderr   written by the process itself
//                                        container.log    CRI-format, written by the agent
//                                        container.log.1  the rotated one
//                                        log-offsets.json how far the agent has read
//                                        exit-code        written by the shim
//                                        stdin            FIFO: the process's stdin (stdin or tty)
//                                        stdin-hold       FIFO: releases the shim's hold on stdin
//                                        stdin-closed     stdinOnce has closed stdin for good
//                                        work/            default working directory
//   <stateDir>/<instance>/pod-etc/<sandbox id>/resolv.conf, hosts   the pod's own (as root)
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
} as const;

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
  /** How pod-network.ts attached it; absent: the CNI plugins did (agents before it). */
  link?: PodLink;
  /** The pod's own /etc/resolv.conf and /etc/hosts, mounted in every container (pod-etc-files.ts). */
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
// Writes stay off the event loop: while the API server's store syncs its journal, a
// file created on the same file system can block for milliseconds.
const recordCache = new Map<string, string>();

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text);
  // Cached before the rename: a removal that ends meanwhile then either deleted the
  // entry after this or made the rename fail, never leaves a removed record cached.
  recordCache.set(path, text);
  try {
    await rename(tmp, path);
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

export class RecordStore {
  readonly instance: string;
  readonly root: string;
  readonly #sandboxes: string;
  readonly #containers: string;

  constructor(stateDir: string, instance: string) {
    this.instance = instance;
    this.root = join(stateDir, instanceDirName(instance));
    this.#sandboxes = join(this.root, 'sandboxes');
    this.#containers = join(this.root, 'containers');
  }

  async init(): Promise<void> {
    await mkdir(this.#sandboxes, { recursive: true });
    await mkdir(this.#containers, { recursive: true });
  }

  containerDir(id: string): string {
    return join(this.#containers, id);
  }

  containerFile(id: string, file: (typeof FILES)[keyof typeof FILES]): string {
    return join(this.#containers, id, file);
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
    return writeJsonAtomic(join(this.#sandboxes, `${record.id}.json`), record);
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
    return writeJsonAtomic(this.containerFile(record.id, FILES.state), record);
  }

  async deleteContainer(id: string): Promise<void> {
    if (!ID.test(id)) return;
    await rm(this.containerDir(id), { recursive: true, force: true });
    recordCache.delete(this.containerFile(id, FILES.state));
  }

  async listContainers(): Promise<ContainerRecord[]> {
    const ids = (await readdir(this.#containers).catch(() => [])).filter((n) => ID.test(n));
    const records = await Promise.all(ids.map((id) => this.readContainer(id)));
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }
}
