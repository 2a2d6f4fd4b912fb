import type { Readable, Writable } from 'node:stream';

// The contract between the node agent and a container runtime (Nomad's driver plugin
// shape, at pod granularity as CRI has it). A pod is a *sandbox* (its network identity:
// namespace, IP, hostname) plus containers that join it. The agent owns every decision —
// what to start, when to restart, what status to report; a driver only does what it is
// told and reports what is. Every call may be made again after a crash of the agent, so:
//
//   - stop/remove calls are idempotent: stopping a stopped container or removing a
//     missing one succeeds;
//   - everything a driver creates carries the labels in `RuntimeLabels`, and
//     `listSandboxes`/`listContainers` return only objects of this driver's `instance`,
//     so a restarted agent can adopt what still runs (`recover`) and two agents sharing
//     one Docker engine never touch each other's containers;
//   - failures are `RuntimeError`s with a code the agent maps to Kubernetes reasons.
//
//   container states:   created ──start──► running ──(exit | stop)──► exited ──remove──► gone
//                          └───────────────────remove──────────────────────────────────┘

export type RuntimeName = 'docker' | 'process' | 'fake';

export interface RuntimeCapabilities {
  /** `pod`: every pod gets its own network namespace and IP. `host`: pods share the host's. */
  podNetwork: 'pod' | 'host';
  /** Whether cpu and memory limits are enforced (cgroups); when not, the agent says so. */
  enforcesLimits: boolean;
  /** Whether images are fetched and run (docker) or only recorded (process). */
  runsImages: boolean;
  /** Whether `mounts` can be placed at their container paths (the process runtime needs root). */
  mounts: boolean;
  /**
   * Whether a container can run on a terminal (`tty: true`), for `kubectl attach -t` and
   * `run -it`. When not, creating such a container fails with `CreateContainer`.
   */
  ttyContainers: boolean;
  /**
   * securityContext settings the runtime does not apply; a container that asks for one
   * gets an event saying so, never silence. Empty for docker.
   */
  unenforcedSecurity: UnenforcedSecurity[];
  /** Why a capability is missing, for the node's events (e.g. "not running as root"). */
  notes: string[];
  /**
   * With a pod network: the pod network's bridge and the host's address on it, where pods
   * reach the node itself (the node's cluster DNS listens there).
   */
  podGateway?: { bridge: string; address: string; subnet: string };
}

export interface RuntimeVersion {
  /** e.g. `docker`, `process`: the scheme of `nodeInfo.containerRuntimeVersion`. */
  name: string;
  version: string;
}

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface SandboxSpec {
  podUid: string;
  podName: string;
  namespace: string;
  /** The pod's hostname (`spec.hostname` or the pod name); `HOSTNAME` of its containers. */
  hostname: string;
  hostNetwork: boolean;
  /** hostPort mappings of all the pod's containers. */
  ports: PortMapping[];
  /** Resolver configuration for the pod; absent means the runtime's default. */
  dns?: DnsConfig;
  /** `<subdomain>.<namespace>.svc.<cluster domain>` when the pod names a subdomain. */
  hostDomain?: string;
  /** `spec.hostAliases`: lines the pod's /etc/hosts gets after its own names. */
  hostAliases?: HostAlias[];
}

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

export interface SandboxStatus {
  id: string;
  podUid: string;
  podName: string;
  namespace: string;
  state: 'ready' | 'notready';
  /** The pod's IPs, first one primary; empty for a sandbox without its own network. */
  ips: string[];
  createdAt: Date;
}

export interface Mount {
  /** A path on the node, prepared by the agent (volume dir, subPath already resolved). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerResources {
  cpuRequestMillis?: number;
  cpuLimitMillis?: number;
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
}

export type UnenforcedSecurity =
  | 'privileged'
  | 'capabilities'
  | 'readOnlyRootFilesystem'
  | 'seccompProfile'
  /** runAsUser, runAsGroup, supplementalGroups, fsGroup, allowPrivilegeEscalation. */
  | 'identity';

/** A seccomp profile: Kubernetes' default is Unconfined (the kubelet's seccompDefault off). */
export type SeccompProfile =
  | { type: 'Unconfined' }
  | { type: 'RuntimeDefault' }
  /** `profile`: the JSON of the file at `path`, read by the agent. */
  | { type: 'Localhost'; path: string; profile: string };

/**
 * The container's securityContext merged with the pod's, as the kubelet hands it to a
 * runtime: the container's fields win, the pod's supplementalGroups and fsGroup are its
 * extra groups. Capabilities are named as in the pod spec (`NET_ADMIN`, `ALL`).
 */
export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  readOnlyRootFilesystem: boolean;
  /** `allowPrivilegeEscalation: false`. */
  noNewPrivileges: boolean;
  seccomp: SeccompProfile;
}

export interface ContainerSpec {
  podUid: string;
  podName: string;
  namespace: string;
  /** The container's name in the pod spec. */
  name: string;
  /** Restart count at creation: 0 for the first container of this name, then 1, 2, … */
  attempt: number;
  /** A hash of the container spec, kept on the container so adoption can tell drift. */
  hash: string;
  image: string;
  /** `spec.containers[].command` (replaces the image entrypoint when set). */
  command: string[];
  /** `spec.containers[].args` (replaces the image cmd when set). */
  args: string[];
  workingDir?: string;
  /** Fully resolved environment, in order. */
  env: Array<{ name: string; value: string }>;
  mounts: Mount[];
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  resources: ContainerResources;
  /** Absent: Kubernetes' defaults (the image's user, no extra rights, seccomp Unconfined). */
  security?: ContainerSecurity;
  /**
   * Whose process namespace the container joins: the host's (`hostPID`), the pod's
   * (`shareProcessNamespace`), or a running container's (an ephemeral container's
   * target); its own when absent.
   */
  processNamespace?: { host: true } | { pod: true } | { containerId: string };
  /** `hostIPC`: the host's IPC namespace instead of the pod's. */
  hostIPC?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  podUid: string;
  podName: string;
  namespace: string;
  name: string;
  attempt: number;
  hash: string;
  image: string;
  /** What `containerStatuses[].imageID` reports (`docker-pullable://…`, `sha256:…`). */
  imageRef: string;
  state: ContainerState;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  exitCode?: number;
  /** For exited containers: `Completed`, `Error`, `OOMKilled`, … as Kubernetes reports. */
  reason?: string;
  message?: string;
}

export interface LogOptions {
  follow: boolean;
  /** Only lines at or after this time. */
  since?: Date;
  /** Only the last N lines (applied before following). */
  tail?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  time: Date;
  stream: 'stdout' | 'stderr';
  /** One line including its trailing newline (the last line of a stream may lack one). */
  data: Buffer;
}

export interface ExecOptions {
  command: string[];
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  /** Unused with a TTY: the terminal merges stderr into stdout. */
  stderr?: Writable;
  signal?: AbortSignal;
}

export interface ExecSession {
  /** Resizes the TTY (no-op without one). */
  resize(columns: number, rows: number): void;
  /** Resolves with the command's exit code once it ended and its output was written. */
  exitCode: Promise<number>;
}

export interface AttachOptions {
  /**
   * Forwarded to the main process's stdin; ignored unless the container was created with
   * `stdin` (and after `stdinOnce` closed it). When it ends, the attach detaches — except
   * with `stdinOnce` and no TTY, where the process's stdin is closed instead and the output
   * follows until the exit (what Docker and containerd do).
   */
  stdin?: Readable;
  stdout?: Writable;
  /** Unused when the container has a TTY: the terminal merges stderr into stdout. */
  stderr?: Writable;
  /** Detaches (the client left). Cancellation, not an error: `done` resolves. */
  signal?: AbortSignal;
}

export interface AttachSession {
  /** Whether the container runs on a TTY, whatever the client asked for. */
  readonly tty: boolean;
  /** Resizes the container's TTY (no-op without one). */
  resize(columns: number, rows: number): void;
  /**
   * Resolves once the attach is over and its output written: the container exited, the
   * client's stdin ended (see `AttachOptions.stdin`), or `signal` aborted. Never rejects.
   */
  done: Promise<void>;
}

export interface RuntimeDriver {
  readonly name: RuntimeName;
  capabilities(): RuntimeCapabilities;
  version(): Promise<RuntimeVersion>;

  /**
   * Makes `image` available according to `policy` and returns its reference (imageID).
   * Throws `ImagePull` (with the engine's message), `ImageNeverPull` or `InvalidImageName`.
   */
  ensureImage(image: string, policy: ImagePullPolicy, signal?: AbortSignal): Promise<string>;

  runSandbox(spec: SandboxSpec): Promise<SandboxStatus>;
  /** Stops the sandbox (its network stays allocated until removal). Idempotent. */
  stopSandbox(id: string): Promise<void>;
  /** Releases everything the sandbox holds. Idempotent. Containers are removed first. */
  removeSandbox(id: string): Promise<void>;
  listSandboxes(): Promise<SandboxStatus[]>;

  /** Throws `CreateContainer` (bad spec for this runtime, with a message for the user). */
  createContainer(sandboxId: string, spec: ContainerSpec): Promise<string>;
  /**
   * Throws `RunContainer` when the process cannot be started (e.g. no such executable);
   * the container is then exited (reason `StartError`/`ContainerCannotRun`, code 128).
   */
  startContainer(id: string): Promise<void>;
  /**
   * SIGTERM (or the image's stop signal), then SIGKILL after `gracePeriodSeconds`.
   * Resolves when the container has exited. Idempotent.
   */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Removes an exited container and its logs. Idempotent. */
  removeContainer(id: string): Promise<void>;
  listContainers(): Promise<ContainerStatus[]>;
  /** Throws `NotFound`. */
  inspectContainer(id: string): Promise<ContainerStatus>;
  /**
   * Calls `listener` once for every container this driver sees exit, with its final
   * status. Exits that happened while no driver watched show in `listContainers`.
   */
  onContainerExit(listener: (status: ContainerStatus) => void): () => void;

  /** The container's output, oldest first; with `follow`, continues until it exits. */
  logs(id: string, options: LogOptions): AsyncIterable<LogLine>;
  /** Runs a command inside a running container. Throws `NotFound`, `NotRunning`. */
  exec(id: string, options: ExecOptions): Promise<ExecSession>;
  /**
   * Connects to the running container's main process: its output from now on, and its
   * stdin when it has one. Detaching never stops the container. Throws `NotFound`,
   * `NotRunning`.
   */
  attach(id: string, options: AttachOptions): Promise<AttachSession>;

  /** Releases the driver's connections and watchers; leaves containers running. */
  close(): Promise<void>;
}

/** Labels (or the process runtime's recorded equivalents) on every runtime object. */
export const RuntimeLabels = {
  instance: 'dev.wharf.instance',
  podUid: 'io.kubernetes.pod.uid',
  podName: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  container: 'io.kubernetes.container.name',
  attempt: 'dev.wharf.container.attempt',
  hash: 'io.kubernetes.container.hash',
  sandbox: 'dev.wharf.sandbox',
  kind: 'dev.wharf.kind',
} as const;

export type RuntimeErrorCode =
  | 'NotFound'
  | 'NotRunning'
  | 'NotSupported'
  | 'ImagePull'
  | 'ImageNeverPull'
  | 'InvalidImageName'
  | 'CreateContainer'
  /** The spec cannot run as asked (runAsNonRoot against a root image): CreateContainerConfigError. */
  | 'CreateContainerConfig'
  | 'RunContainer'
  | 'Unavailable';

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}
