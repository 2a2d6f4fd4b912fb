import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stderrLogger, type Logger } from '../../../client/index.ts';
import {
  RuntimeError,
  type AttachOptions,
  type AttachSession,
  type ContainerSpec,
  type ContainerStatus,
  type ExecOptions,
  type ExecSession,
  type LogLine,
  type LogOptions,
  type RuntimeCapabilities,
  type RuntimeDriver,
  type RuntimeVersion,
  type SandboxSpec,
  type SandboxStatus,
} from '../types.ts';
import { attachProcess } from './attach.ts';
import { containerRecord, containerStatus } from './containers.ts';
import {
  cgroupSetup,
  containerCgroups,
  killCgroup,
  removeCgroups,
  removeInstanceCgroups,
} from './cgroups.ts';
import {
  acquireSpawner,
  chown,
  isAlive,
  signalGroup,
  writeFile,
  type Spawner,
} from '../host/index.ts';
import { gatewayOf, type CniNetwork } from '../podnet/index.ts';
import { execInContainer } from './exec.ts';
import { probeProcessHost, type ProcessHost } from './host.ts';
import { containerEnv, launchContainer } from './launch.ts';
import { readContainerLogs } from './log-reader.ts';
import { createMountPoints, removeMountPoints } from './mount-points.ts';
import { whyNotExecutable } from './proc.ts';
import { FILES, newId, RecordStore, type ContainerRecord } from './records.ts';
import { prepareRunDir } from './run-dir.ts';
import { SandboxManager } from './sandboxes.ts';
import { containerTerminal } from './terminal.ts';
import { packageVersion } from './version.ts';
import { findWatch, WatchHolder } from './watch.ts';

// The process runtime: a container is a host process tree (see launch.ts for how one
// starts and why), a sandbox a record plus, as root, a network namespace (sandboxes.ts).
// Everything is in the state directory, so a new driver of the same instance adopts what
// an earlier agent left running. Images are recorded, never fetched.

export const PROCESS_RUNTIME = 'process' as const;

export interface ProcessDriverOptions {
  instance: string;
  /** e.g. `<dataDir>/process-runtime`: logs and working directories. */
  stateDir: string;
  /**
   * Records, exit codes, FIFOs and the pods' /etc files, best on tmpfs (see run-dir.ts);
   * the state directory when not given.
   */
  runDir?: string;
  /** `auto`: own network namespaces when root and the CNI plugins are there. */
  podNetwork?: 'auto' | 'pod' | 'host';
  /** Where the CNI plugins are; default /usr/lib/cni, then /opt/cni/bin. */
  cniBinDir?: string;
  network?: CniNetwork;
  log?: Logger;
  /** A container's combined log is rotated at this size (one old file kept); 10 MiB. */
  maxLogBytes?: number;
}

export async function createProcessDriver(options: ProcessDriverOptions): Promise<RuntimeDriver> {
  const host = await probeProcessHost({
    instance: options.instance,
    podNetwork: options.podNetwork ?? 'auto',
    cniBinDir: options.cniBinDir,
  });
  const { stateDir, runDir } = options;
  const store = new RecordStore({ stateDir, ...(runDir ? { runDir } : {}) }, options.instance);
  await store.init();
  await prepareRunDir(store);
  const driver = new ProcessDriver(options, host, store);
  await driver.init();
  await driver.adopt();
  return driver;
}

class ProcessDriver implements RuntimeDriver {
  readonly name = PROCESS_RUNTIME;
  readonly #host: ProcessHost;
  readonly #store: RecordStore;
  readonly #log: Logger;
  readonly #sandboxes: SandboxManager;
  readonly #network: { name: string; bridge: string; subnet: string };
  readonly #watches: WatchHolder;
  readonly #listeners = new Set<(status: ContainerStatus) => void>();
  readonly #spawner: Spawner;
  readonly #releaseSpawner: () => void;

  constructor(options: ProcessDriverOptions, host: ProcessHost, store: RecordStore) {
    this.#host = host;
    this.#store = store;
    this.#log = options.log ?? stderrLogger;
    const { spawner, release } = acquireSpawner(this.#log);
    this.#spawner = spawner;
    this.#releaseSpawner = release;
    const { fallocate } = host.tools;
    const maxLogBytes = options.maxLogBytes ?? 10 * 1024 * 1024;
    const ctx = { store, log: this.#log, maxLogBytes, fallocate };
    this.#watches = new WatchHolder(ctx, (final) => this.#notify(final));
    const network = options.network ?? { name: 'wharf', bridge: 'wharf0', subnet: '10.89.0.0/16' };
    this.#network = network;
    this.#sandboxes = new SandboxManager(
      { host, store, network, log: this.#log, spawner },
      {
        stop: (id) => this.stopContainer(id, 0),
        remove: (id) => this.removeContainer(id),
      },
    );
  }

  /** Makes what pods' networks share (bridge, rules); see SandboxManager.init. */
  init(): Promise<void> {
    return this.#sandboxes.init();
  }

  /** Watches what an earlier agent left running; settles what ended meanwhile. */
  async adopt(): Promise<void> {
    const running = (await this.#store.listContainers()).filter((r) => r.state === 'running');
    await Promise.all(
      running.map(async (r) => {
        const watch = this.#watches.hold(r);
        if (!(await isAlive(r.pid ?? 0, r.pidStartTime ?? ''))) await watch.ended();
      }),
    );
  }

  capabilities(): RuntimeCapabilities {
    const { podNetwork, cgroups, mounts, notes } = this.#host;
    const { bridge, subnet } = this.#network;
    return {
      podNetwork,
      enforcesLimits: cgroups !== undefined,
      runsImages: false,
      mounts,
      ttyContainers: this.#host.tools.script !== undefined && this.#host.tools.mkfifo !== undefined,
      // Host processes: no rights are taken away or granted, the host's root is the root.
      // Host processes of the host's root already have every right `privileged` grants.
      unenforcedSecurity: [
        'readOnlyRootFilesystem',
        'seccompProfile',
        ...(this.#host.root && this.#host.tools.setpriv
          ? []
          : (['identity', 'capabilities', 'privileged'] as const)),
      ],
      notes,
      ...(podNetwork === 'pod'
        ? { podGateway: { bridge, subnet, address: gatewayOf(subnet) } }
        : {}),
    };
  }

  async version(): Promise<RuntimeVersion> {
    return { name: PROCESS_RUNTIME, version: await packageVersion() };
  }

  /** Nothing to fetch: the process runtime runs commands, the image is only recorded. */
  async ensureImage(image: string): Promise<string> {
    if (!image.trim()) throw new RuntimeError('InvalidImageName', 'the image name is empty');
    return image;
  }

  runSandbox(spec: SandboxSpec): Promise<SandboxStatus> {
    return this.#sandboxes.run(spec);
  }

  stopSandbox(id: string): Promise<void> {
    return this.#sandboxes.stop(id);
  }

  removeSandbox(id: string): Promise<void> {
    return this.#sandboxes.remove(id);
  }

  listSandboxes(): Promise<SandboxStatus[]> {
    return this.#sandboxes.list();
  }

  async createContainer(sandboxId: string, spec: ContainerSpec): Promise<string> {
    const sandbox = await this.#store.readSandbox(sandboxId);
    if (!sandbox) throw new RuntimeError('NotFound', `no sandbox ${sandboxId}`);
    const id = newId();
    const { tools, mounts } = this.#host;
    const can = {
      mounts,
      tty: !!tools.script && !!tools.mkfifo,
      stdin: !!tools.mkfifo,
      identity: this.#host.root && !!tools.setpriv,
    };
    // The pod's own /etc files first: a volume the pod mounts at the same path wins.
    const withEtc = { ...spec, mounts: [...(sandbox.etcMounts ?? []), ...spec.mounts] };
    const record = containerRecord(this.#store.instance, id, sandbox, withEtc, can);
    if (this.#host.cgroups) record.cgroups = containerCgroups(this.#host.cgroups, id);
    await this.#store.makeContainerDirs(id);
    // The default working directory is the command's own to write, as a container's is.
    const { uid, gid } = record.identity ?? {};
    if (uid !== undefined) await chown(this.#store.containerFile(id, FILES.work), uid, gid ?? 0);
    if (record.stdin || record.tty) {
      const fifos = [FILES.stdin, FILES.stdinHold].map((f) => this.#store.containerFile(id, f));
      const [made] = await this.#spawner.run([
        { file: tools.mkfifo!, args: ['-m', '600', ...fifos] },
      ]);
      if (made?.code !== 0) {
        const why = made?.stderr.trim() || made?.error || `exit ${made?.code}`;
        throw new RuntimeError('CreateContainer', `mkfifo: ${why}`);
      }
    }
    await this.#store.writeContainer(record);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const record = await this.#get(id);
    if (record.state === 'running') return;
    if (record.state === 'exited') {
      throw new RuntimeError('RunContainer', `container ${record.name} has already run`);
    }
    const sandbox = await this.#store.readSandbox(record.sandboxId);
    if (!sandbox) throw new RuntimeError('NotFound', `no sandbox ${record.sandboxId}`);
    const dir = this.#store.containerDir(id);
    const why = await whyNotExecutable(record.command[0]!, {
      path: containerEnv(record, sandbox.hostname).PATH!,
      cwd: record.workingDir ?? join(dir, FILES.work),
      mounts: record.mounts,
    });
    if (why) {
      await this.#store.writeContainer({
        ...record,
        ...{ state: 'exited', exitCode: 128, reason: 'StartError', message: why },
        finishedAt: new Date().toISOString(),
      });
      throw new RuntimeError('RunContainer', why);
    }
    let launched;
    try {
      record.createdMountPoints = await createMountPoints(record.mounts);
      // What a crash from here on must clean up is on record: the cgroups are since
      // createContainer (unless an older agent created it), mount points made just now.
      let unrecorded = record.createdMountPoints.length > 0;
      if (this.#host.cgroups && !record.cgroups) {
        record.cgroups = containerCgroups(this.#host.cgroups, id);
        unrecorded = true;
      }
      if (unrecorded) await this.#store.writeContainer(record);
      // The output files are watched before the process can write to them (see watch.ts).
      await Promise.all(
        [FILES.stdout, FILES.stderr].map((f) =>
          writeFile(this.#store.containerFile(id, f), '', { flag: 'a' }),
        ),
      );
      this.#watches.acquire(id);
      const { tools } = this.#host;
      const dirs = this.#store.containerDirs(id);
      const cgroups = record.cgroups && cgroupSetup(record.cgroups, record.resources);
      launched = await launchContainer(
        this.#spawner,
        tools,
        record,
        dirs,
        sandbox.hostname,
        cgroups,
      );
    } catch (err) {
      this.#watches.release(id);
      if (record.cgroups) await removeCgroups(record.cgroups).catch(() => undefined);
      if (err instanceof RuntimeError) throw err;
      const message = `cannot start ${record.name}: ${(err as Error).message}`;
      throw new RuntimeError('RunContainer', message, { cause: err });
    }
    const startedAt = new Date().toISOString();
    Object.assign(record, { state: 'running', pid: launched.pid, startedAt });
    record.pidStartTime = launched.startTime;
    await this.#store.writeContainer(record);
    const watch = this.#watches.acquire(id);
    watch.start(record, launched);
    if ((await launched.setup) !== undefined) {
      const final = await watch.ended();
      throw new RuntimeError('RunContainer', final.message ?? `${record.name} did not start`);
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<void> {
    const record = await this.#store.readContainer(id);
    if (!record || record.state !== 'running') return;
    const watch = this.#watches.hold(record);
    const alive = () => isAlive(record.pid ?? 0, record.pidStartTime ?? '');
    // On a terminal the command has a session of its own; `script` must not be signalled.
    const terminal = record.tty ? await containerTerminal(record.pid ?? 0) : undefined;
    if (gracePeriodSeconds > 0 && (await alive())) {
      signalGroup(terminal?.pid ?? record.pid!, 'SIGTERM');
      const timer = new AbortController();
      const ended = await Promise.race([
        watch.exited.then(() => true),
        sleep(gracePeriodSeconds * 1000, false, { signal: timer.signal }),
      ]);
      timer.abort();
      if (ended) return;
    }
    if (terminal) signalGroup(terminal.pid, 'SIGKILL');
    if (await alive()) signalGroup(record.pid!, 'SIGKILL');
    if (record.cgroups) await killCgroup(record.cgroups); // what left the process group
    await watch.ended();
  }

  async removeContainer(id: string): Promise<void> {
    let record = await this.#store.readContainer(id);
    if (!record) return;
    if (record.state === 'running') {
      await this.stopContainer(id, 0);
      record = (await this.#store.readContainer(id)) ?? record;
    }
    this.#watches.release(id);
    if (record.cgroups) {
      // Also what a crash between spawning and recording the pid would leave running.
      await killCgroup(record.cgroups);
      await removeCgroups(record.cgroups).catch(() => undefined);
    }
    await removeMountPoints(record, await this.#store.listContainers());
    await this.#store.deleteContainer(id);
  }

  async listContainers(): Promise<ContainerStatus[]> {
    return (await this.#store.listContainers()).map(containerStatus);
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    return containerStatus(await this.#get(id));
  }

  onContainerExit(listener: (status: ContainerStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async *logs(id: string, options: LogOptions): AsyncIterable<LogLine> {
    const record = await this.#get(id);
    const tailer = record.state === 'running' ? findWatch(this.#store, id)?.tailer : undefined;
    yield* readContainerLogs(this.#store.containerDir(id), options, tailer);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecSession> {
    const record = await this.#get(id);
    if (
      record.state !== 'running' ||
      !(await isAlive(record.pid ?? 0, record.pidStartTime ?? ''))
    ) {
      throw new RuntimeError('NotRunning', `container ${record.name} is not running`);
    }
    const sandbox = await this.#store.readSandbox(record.sandboxId);
    const hostname = sandbox?.hostname ?? record.podName;
    const dir = this.#store.containerDir(id);
    return execInContainer(this.#host.tools, record, dir, hostname, options);
  }

  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const record = await this.#get(id);
    const alive = await isAlive(record.pid ?? 0, record.pidStartTime ?? '');
    const watch = record.state === 'running' && alive ? findWatch(this.#store, id) : undefined;
    if (!watch) throw new RuntimeError('NotRunning', `container ${record.name} is not running`);
    let running = true;
    void watch.exited.then(() => (running = false));
    const target = {
      record,
      dirs: this.#store.containerDirs(id),
      tailer: watch.tailer,
      tools: this.#host.tools,
      log: this.#log,
    };
    return attachProcess({ ...target, running: () => running }, options);
  }

  async close(): Promise<void> {
    this.#watches.releaseAll();
    this.#listeners.clear();
    this.#releaseSpawner();
    // Containers outlive the driver; their parent groups stay while any is left in them.
    if (this.#host.cgroups) await removeInstanceCgroups(this.#host.cgroups);
  }

  async #get(id: string): Promise<ContainerRecord> {
    const record = await this.#store.readContainer(id);
    if (!record) throw new RuntimeError('NotFound', `no container ${id}`);
    return record;
  }

  #notify(final: ContainerRecord): void {
    const status = containerStatus(final);
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (err) {
        this.#log.error({ err, container: final.id }, 'a container exit listener failed');
      }
    }
  }
}
