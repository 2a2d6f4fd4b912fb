import { Agent } from 'node:http';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { stderrLogger, type Logger } from '../../../client/index.ts';
import {
  RuntimeError,
  RuntimeLabels,
  type AttachOptions,
  type AttachSession,
  type ContainerSpec,
  type ContainerStatus,
  type ExecOptions,
  type ExecSession,
  type ImagePullPolicy,
  type LogLine,
  type LogOptions,
  type RuntimeCapabilities,
  type RuntimeDriver,
  type RuntimeVersion,
  type SandboxSpec,
  type SandboxStatus,
} from '../types.ts';
import type { NetnsAttacher } from '../podnet/index.ts';
import {
  attachedPorts,
  containerCreateOptions,
  KIND_CONTAINER,
  KIND_SANDBOX,
  sandboxCreateOptions,
  type SandboxRef,
} from './config.ts';
import { defaultSocketPath, engineMessage, statusCode } from './engine.ts';
import { DieEventWatcher, type DieEvent } from './events.ts';
import { attachContainer } from './attach.ts';
import { startExec } from './exec.ts';
import { ensureImage, formatImage, parseImage } from './images.ts';
import { containerLogs } from './logs.ts';
import { DEFAULT_NETWORK, ensureNetwork, type PodGateway, type PodNetwork } from './network.ts';
import { ensurePauseImage } from './pause.ts';
import { engineCall, InstanceObjects } from './objects.ts';
import {
  attachSandbox,
  detachSandbox,
  openSandboxNetwork,
  type SandboxAttach,
} from './sandbox-network.ts';
import { checkedImageUser } from './security.ts';
import { inspectedSandboxStatus, sandboxStatus, statusFromDieEvent } from './status.ts';

// The docker runtime: a pod is a pause container holding the network (and IPC)
// namespace on a user-defined bridge, plus one engine container per container spec that
// joins it. The sandbox is attached to the bridge by wharf where it can, else by the
// engine (sandbox-network.ts). Everything carries this instance's labels; ids that are
// not ours are treated as missing. Exits come from the engine's event stream.

export const DOCKER_RUNTIME = 'docker' as const;

export interface DockerDriverOptions {
  /** Scopes every object this driver creates and sees. */
  instance: string;
  /** Default: `DOCKER_HOST` (unix://) or /var/run/docker.sock. */
  socketPath?: string;
  /** Default: `wharf`, 10.88.0.0/16. */
  network?: PodNetwork;
  /** `engine`: the engine attaches sandboxes even where wharf could. Default `auto`. */
  attach?: SandboxAttach;
  /** Where sandboxes wharf attaches get their /etc files; default on a tmpfs. */
  etcRoot?: string;
  log?: Logger;
}

/** Seconds a sandbox gets to stop; the pause process exits at once on SIGTERM. */
const SANDBOX_GRACE_SECONDS = 2;

export async function createDockerDriver(options: DockerDriverOptions): Promise<RuntimeDriver> {
  const socketPath = options.socketPath ?? defaultSocketPath();
  const log = options.log ?? stderrLogger;
  const network = options.network ?? DEFAULT_NETWORK;
  const agent = new Agent({ keepAlive: true });
  // docker-modem util.inspect()s every request's options, agent included, with unlimited
  // depth, even when its debug output is off: measured at ~2 s of CPU per request with 50
  // pods starting. The agent inspects as a short name instead.
  Object.defineProperty(agent, inspect.custom, { value: () => 'Agent(docker socket)' });
  // dockerode's types lack docker-modem's `agent`; our own agent is destroyed on close.
  const engineOptions: Docker.DockerOptions & { agent: Agent } = { socketPath, agent };
  const docker = new Docker(engineOptions);
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      agent.destroy();
      const message = `docker runtime: ${what}: ${engineMessage(err)}`;
      throw new RuntimeError('Unavailable', message, { cause: err });
    }
  };
  const info = await step(`connecting to ${socketPath}`, () => docker.info());
  const gateway = await step('preparing the pod network', () =>
    ensureNetwork(docker, network, log),
  );
  await step('preparing the pause image', () => ensurePauseImage(docker));
  const attacher = await step('preparing to attach pods', () =>
    openSandboxNetwork(docker, network, gateway, {
      attach: options.attach ?? 'auto',
      ...(options.etcRoot ? { etcRoot: options.etcRoot } : {}),
      log,
    }),
  );
  const driver = new DockerDriver(
    docker,
    agent,
    { ...options, network, log },
    info,
    gateway,
    attacher,
  );
  await step('watching engine events', () => driver.watch());
  return driver;
}

class DockerDriver implements RuntimeDriver {
  readonly name = DOCKER_RUNTIME;
  readonly #docker: Docker;
  readonly #agent: Agent;
  readonly #instance: string;
  readonly #network: PodNetwork;
  readonly #log: Logger;
  readonly #capabilities: RuntimeCapabilities;
  readonly #listeners = new Set<(status: ContainerStatus) => void>();
  readonly #objects: InstanceObjects;
  readonly #events: DieEventWatcher;
  /**
   * What a container joining a sandbox needs of it, for the sandboxes this driver started:
   * a pod's containers are created right after its sandbox, and an inspect each time
   * would queue behind every other pod's calls in the engine.
   */
  readonly #sandboxes = new Map<string, SandboxRef>();
  /** Attaches sandboxes to the pod network; absent when the engine does. */
  readonly #attacher: NetnsAttacher | undefined;
  /** The pause image, once made sure of: every sandbox needs it, so it is checked once. */
  #pauseImage: Promise<string> | undefined;

  constructor(
    docker: Docker,
    agent: Agent,
    options: Required<Pick<DockerDriverOptions, 'instance' | 'network' | 'log'>>,
    info: { MemoryLimit?: boolean; CpuCfsQuota?: boolean },
    gateway: PodGateway | undefined,
    attacher: NetnsAttacher | undefined,
  ) {
    this.#docker = docker;
    this.#attacher = attacher;
    this.#agent = agent;
    this.#instance = options.instance;
    this.#network = options.network;
    this.#log = options.log;
    this.#objects = new InstanceObjects(docker, options.instance);
    const notes: string[] = [];
    if (!info.MemoryLimit) notes.push('the docker engine does not support memory limits');
    if (!info.CpuCfsQuota) notes.push('the docker engine does not support CPU quotas');
    this.#capabilities = {
      podNetwork: 'pod',
      enforcesLimits: notes.length === 0,
      runsImages: true,
      mounts: true,
      ttyContainers: true,
      unenforcedSecurity: [],
      notes,
      ...(gateway ? { podGateway: gateway } : {}),
    };
    this.#events = new DieEventWatcher(
      docker,
      [`${RuntimeLabels.instance}=${this.#instance}`, `${RuntimeLabels.kind}=${KIND_CONTAINER}`],
      (event) => void this.#reportExit(event),
      this.#log,
    );
  }

  watch(): Promise<void> {
    return this.#events.start();
  }

  capabilities(): RuntimeCapabilities {
    return structuredClone(this.#capabilities);
  }

  async version(): Promise<RuntimeVersion> {
    const v = await engineCall('reading the engine version', () => this.#docker.version());
    return { name: DOCKER_RUNTIME, version: v.Version };
  }

  ensureImage(image: string, policy: ImagePullPolicy, signal?: AbortSignal): Promise<string> {
    return ensureImage(this.#docker, image, policy, signal);
  }

  async runSandbox(spec: SandboxSpec): Promise<SandboxStatus> {
    const pod = `${spec.namespace}/${spec.podName}`;
    let container: Docker.Container | undefined;
    for (let attempt = 1; !container; attempt++) {
      const body = sandboxCreateOptions(spec, {
        instance: this.#instance,
        network: this.#network.name,
        image: await this.#ensurePauseImage(),
        attached: this.#attacher !== undefined,
      });
      try {
        container = await this.#docker.createContainer(body);
      } catch (err) {
        // The pause image was there when this driver last looked: someone removed it since.
        if (statusCode(err) === 404 && attempt === 1) {
          this.#pauseImage = undefined;
          continue;
        }
        throw new RuntimeError(
          'CreateContainer',
          `creating the sandbox of ${pod}: ${engineMessage(err)}`,
        );
      }
    }
    try {
      await container.start();
    } catch (err) {
      await this.#objects.forceRemove(container.id);
      throw new RuntimeError(
        'RunContainer',
        `starting the sandbox of ${pod}: ${engineMessage(err)}`,
      );
    }
    const info = await this.#objects.inspect(container.id, KIND_SANDBOX);
    if (!info) throw new RuntimeError('NotFound', `the sandbox of ${pod} vanished`);
    const ref: SandboxRef = { id: info.Id, hostname: info.Config.Hostname, mounts: [] };
    if (this.#attacher && !spec.hostNetwork) {
      try {
        ref.mounts = await attachSandbox(this.#attacher, info, spec);
      } catch (err) {
        await this.#objects.forceRemove(info.Id);
        throw err;
      }
    }
    this.#sandboxes.set(info.Id, ref);
    return inspectedSandboxStatus(info, this.#network.name, this.#attachedAddress);
  }

  readonly #attachedAddress = (id: string) => this.#attacher?.address(id);

  /** Stops the sandbox and takes down the network wharf attached it to. Idempotent. */
  async stopSandbox(id: string): Promise<void> {
    const info = await this.#objects.inspect(id, KIND_SANDBOX);
    if (info?.State.Running) await this.#stop(id, SANDBOX_GRACE_SECONDS);
    await this.#detach(id, info);
  }

  async removeSandbox(id: string): Promise<void> {
    this.#sandboxes.delete(id);
    const info = await this.#objects.inspect(id, KIND_SANDBOX);
    await this.#detach(id, info);
    if (!info) return;
    const label = `${RuntimeLabels.sandbox}=${id}`;
    for (const c of await this.#objects.list(KIND_CONTAINER, { label })) {
      await this.#objects.forceRemove(c.Id);
    }
    await this.#objects.forceRemove(id);
  }

  async #detach(id: string, info: Docker.ContainerInspectInfo | undefined): Promise<void> {
    if (this.#attacher) await detachSandbox(this.#attacher, id, info);
  }

  async listSandboxes(): Promise<SandboxStatus[]> {
    const items = await this.#objects.list(KIND_SANDBOX);
    return items.map((item) => sandboxStatus(item, this.#network.name, this.#attachedAddress));
  }

  async createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    const sandbox = this.#sandboxes.get(sandboxId) ?? (await this.#sandboxOf(sandboxId));
    const image = formatImage(parseImage(spec.image));
    const imageUser = await checkedImageUser(this.#docker, image, spec);
    const body = containerCreateOptions(spec, sandbox, {
      instance: this.#instance,
      image,
      ...(imageUser !== undefined ? { imageUser } : {}),
    });
    try {
      return (await this.#docker.createContainer(body)).id;
    } catch (err) {
      throw new RuntimeError('CreateContainer', engineMessage(err), { cause: err });
    }
  }

  async #ensurePauseImage(): Promise<string> {
    this.#pauseImage ??= engineCall('preparing the pause image', () =>
      ensurePauseImage(this.#docker),
    );
    try {
      return await this.#pauseImage;
    } catch (err) {
      this.#pauseImage = undefined;
      throw err;
    }
  }

  async #sandboxOf(id: string): Promise<SandboxRef> {
    const sandbox = await this.#objects.inspect(id, KIND_SANDBOX);
    if (!sandbox) throw new RuntimeError('NotFound', `sandbox ${id} not found`);
    const attached = attachedPorts(sandbox.Config.Labels) !== undefined;
    const mounts = attached ? (this.#attacher?.etcMounts(id) ?? []) : [];
    const ref = { id: sandbox.Id, hostname: sandbox.Config.Hostname, mounts };
    this.#sandboxes.set(id, ref);
    return ref;
  }

  /** Not checked for ownership: ids to start come from this driver's create. */
  async startContainer(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (err) {
      const code = statusCode(err);
      if (code === 304) return; // already running
      if (code === 404) throw new RuntimeError('NotFound', `container ${id} not found`);
      throw new RuntimeError('RunContainer', engineMessage(err), { cause: err });
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const info = await this.#objects.inspect(id);
    if (info?.State.Running) await this.#stop(id, gracePeriodSeconds);
  }

  async #stop(id: string, gracePeriodSeconds: number): Promise<void> {
    try {
      // The engine sends the stop signal, waits `t` seconds, kills, and answers once
      // the container is down.
      await this.#docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(gracePeriodSeconds)) });
    } catch (err) {
      const code = statusCode(err);
      if (code === 304 || code === 404) return;
      throw new RuntimeError('Unavailable', `stopping ${id}: ${engineMessage(err)}`, {
        cause: err,
      });
    }
  }

  async removeContainer(id: string): Promise<void> {
    if (await this.#objects.inspect(id)) await this.#objects.forceRemove(id);
  }

  async listContainers(): Promise<ContainerStatus[]> {
    const items = await this.#objects.list(KIND_CONTAINER);
    const statuses = await Promise.all(items.map((item) => this.#objects.status(item.Id)));
    return statuses.filter((s): s is ContainerStatus => s !== undefined);
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const status = await this.#objects.status(id);
    if (!status) throw new RuntimeError('NotFound', `container ${id} not found`);
    return this.#withOom(status);
  }

  onContainerExit(listener: (status: ContainerStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const info = await this.#objects.inspect(id);
    if (!info) throw new RuntimeError('NotFound', `container ${id} not found`);
    yield* containerLogs(this.#docker, id, info.Config.Tty, options);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const info = await this.#objects.inspect(id);
    if (!info) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (!info.State.Running) throw new RuntimeError('NotRunning', `container ${id} is not running`);
    return startExec(this.#docker, id, options, this.#log);
  }

  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const info = await this.#objects.inspect(id, KIND_CONTAINER);
    if (!info) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (!info.State.Running) throw new RuntimeError('NotRunning', `container ${id} is not running`);
    const { Tty: tty, OpenStdin: openStdin } = info.Config;
    return attachContainer(this.#docker, { id, tty, openStdin }, options, this.#log);
  }

  async close(): Promise<void> {
    this.#events.close();
    this.#listeners.clear();
    this.#attacher?.close();
    this.#agent.destroy();
  }

  #withOom(status: ContainerStatus): ContainerStatus {
    if (status.state !== 'exited' || status.reason === 'OOMKilled') return status;
    return this.#events.oomKilled(status.id) ? { ...status, reason: 'OOMKilled' } : status;
  }

  async #reportExit(event: DieEvent): Promise<void> {
    let status: ContainerStatus | undefined;
    try {
      status = await this.#objects.status(event.id);
    } catch (err) {
      this.#log.warn({ err, container: event.id }, 'inspecting an exited container failed');
    }
    status ??= statusFromDieEvent(event.id, event.attributes, event.timeNano);
    status = this.#withOom(status);
    if (status.state === 'running') return; // restarted meanwhile; its next exit reports
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (err) {
        this.#log.error({ err, container: event.id }, 'container exit listener threw (a bug)');
      }
    }
  }
}
