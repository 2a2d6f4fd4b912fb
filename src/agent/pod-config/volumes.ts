import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AtomicWriter, type Payload } from './atomic-writer.ts';
import { setUpHostPath } from './host-path.ts';
import { applyFsGroup } from './ownership.ts';
import { DEFAULT_MODE, downwardPayload, objectPayload, projectedPayload } from './payloads.ts';
import { mountSubPath, prepareSubPath } from './subpath.ts';
import { ConfigError } from './types.ts';
import type { ConfigSources, Container, EnvVar, Pod, Volume } from './types.ts';

// A pod's volumes on the node, laid out as the kubelet lays them out:
//
//   <podDir>/kubernetes.io~empty-dir/<volume>/      emptyDir
//   <podDir>/kubernetes.io~configmap/<volume>/      configMap    ┐ atomic writer layout
//   <podDir>/kubernetes.io~secret/<volume>/         secret       │ (atomic-writer.ts),
//   <podDir>/kubernetes.io~downward-api/<volume>/   downwardAPI  │ rewritten by update()
//   <podDir>/kubernetes.io~projected/<volume>/      projected    ┘
//   hostPath volumes are the host's own path, checked but never changed.
//
// Secret and projected volumes (a pod's service-account token is one) go under
// `memoryDir` instead when the agent has one on tmpfs: as the kubelet keeps them on tmpfs,
// credentials never reach the disk, and a pod's start does not pay the disk file system
// for their inodes. They are written with synchronous calls there (atomic-writer.ts).
//
// An emptyDir with `medium: Memory` goes there too: the kubelet mounts a tmpfs for it,
// wharf (which mounts nothing on the host) gives it a directory on its tmpfs. Its files
// are memory, as there, but are not counted against the pod's memory limit, and
// `sizeLimit` is not enforced (the kubelet evicts over it). Without a memoryDir it stays
// a plain directory on disk.
//
// With an fsGroup, the volumes wharf makes belong to that group (ownership.ts): emptyDir
// when made, the API-data volumes after each write.

export interface HostMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface PodVolumesOptions {
  /** The clock of the atomic writer's timestamped directories. */
  now?: () => Date;
  /** This pod's own directory on tmpfs, for its secret and projected volumes. */
  memoryDir?: string;
}

type Kind = 'emptyDir' | 'hostPath' | 'configMap' | 'secret' | 'downwardAPI' | 'projected';

const PLUGIN_DIRS: Record<Exclude<Kind, 'hostPath'>, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

/** API-data volumes: always mounted read-only, whatever the mount says. */
const ATOMIC_KINDS = new Set<Kind>(['configMap', 'secret', 'downwardAPI', 'projected']);
/** The kinds the kubelet keeps on tmpfs. */
const MEMORY_KINDS = new Set<Kind>(['secret', 'projected']);

/** emptyDir's directory mode, whatever the umask: any container user may write. */
const EMPTY_DIR_MODE = 0o777;

function kindOf(volume: Volume): Kind {
  const sources = Object.keys(volume).filter((k) => k !== 'name' && volume[k] != null);
  // The API server defaults a volume without a source to emptyDir.
  if (sources.length === 0) return 'emptyDir';
  const kind = sources[0];
  if (kind in PLUGIN_DIRS || kind === 'hostPath') return kind as Kind;
  throw new ConfigError(`${kind} volumes are not supported by wharf`, { volume: volume.name });
}

interface SetUpVolume {
  kind: Kind;
  hostPath: string;
  /** On tmpfs: written synchronously. */
  inMemory: boolean;
}

export class PodVolumes {
  readonly #podDir: string;
  readonly #memoryDir: string | undefined;
  readonly #now: () => Date;
  readonly #volumes = new Map<string, SetUpVolume>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Whether the last setUp or update could not give a volume the pod's fsGroup. */
  #fsGroupDenied = false;

  /** `podDir`: this pod's own directory, e.g. `<dataDir>/pods/<uid>/volumes`. */
  constructor(podDir: string, options: PodVolumesOptions = {}) {
    this.#podDir = podDir;
    this.#memoryDir = options.memoryDir;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Prepares every volume of `pod` and returns each one's host path by name. Idempotent.
   * Every volume is attempted; then the first failure is thrown as a ConfigError naming
   * its volume (the agent reports FailedMount and retries).
   */
  setUp(pod: Pod, sources: ConfigSources): Promise<Record<string, string>> {
    return this.#serialized(async () => {
      this.#fsGroupDenied = false;
      let failure: ConfigError | undefined;
      for (const volume of pod.spec?.volumes ?? []) {
        try {
          const kind = kindOf(volume);
          const inMemory =
            !!this.#memoryDir &&
            (MEMORY_KINDS.has(kind) ||
              (kind === 'emptyDir' && volume.emptyDir?.medium === 'Memory'));
          const hostPath = await this.#setUpOne(kind, volume, pod, sources, inMemory);
          this.#volumes.set(volume.name, { kind, hostPath, inMemory });
        } catch (err) {
          failure ??= asVolumeError(err, volume.name);
        }
      }
      if (failure) throw failure;
      return Object.fromEntries([...this.#volumes].map(([name, v]) => [name, v.hostPath]));
    });
  }

  /**
   * Rewrites the configMap, secret, downwardAPI and projected volumes that were set up,
   * from the current objects; resolves whether any content changed. Running containers
   * see each volume switch atomically. A volume that fails keeps its previous content;
   * the first failure is thrown after the others were updated.
   */
  update(pod: Pod, sources: ConfigSources): Promise<boolean> {
    return this.#serialized(async () => {
      this.#fsGroupDenied = false;
      let changed = false;
      let failure: ConfigError | undefined;
      for (const volume of pod.spec?.volumes ?? []) {
        const known = this.#volumes.get(volume.name);
        if (!known || !ATOMIC_KINDS.has(known.kind)) continue;
        try {
          const payload = await this.#payload(known.kind, volume, pod, sources);
          const writer = new AtomicWriter(known.hostPath, this.#now, { sync: known.inMemory });
          if (await writer.write(payload)) {
            changed = true;
            await this.#own(pod, known.hostPath, true);
          }
        } catch (err) {
          failure ??= asVolumeError(err, volume.name);
        }
      }
      if (failure) throw failure;
      return changed;
    });
  }

  /**
   * The mounts of `container`, with subPath and subPathExpr (expanded from `env`, the
   * container's resolved environment) resolved inside their volumes. Throws ConfigError
   * (reported as CreateContainerConfigError) with the kubelet's messages.
   */
  async mountsFor(container: Container, env: readonly EnvVar[] = []): Promise<HostMount[]> {
    const mounts: HostMount[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = this.#volumes.get(mount.name);
      if (!volume) {
        throw new ConfigError(
          `cannot find volume "${mount.name}" to mount into container "${container.name}"`,
        );
      }
      const subPath = mountSubPath(mount, env);
      const hostPath = subPath
        ? await prepareSubPath(volume.hostPath, subPath, mount.name, container.name)
        : volume.hostPath;
      mounts.push({
        hostPath,
        containerPath: mount.mountPath,
        readOnly: mount.readOnly === true || ATOMIC_KINDS.has(volume.kind),
      });
    }
    return mounts;
  }

  /** Removes everything under podDir (emptyDir data included); hostPath volumes are untouched. */
  tearDown(): Promise<void> {
    return this.#serialized(async () => {
      // rm does not follow symlinks, so links a container left in an emptyDir are safe.
      await rm(this.#podDir, { recursive: true, force: true });
      if (this.#memoryDir) rmSync(this.#memoryDir, { recursive: true, force: true });
      this.#volumes.clear();
    });
  }

  async #setUpOne(
    kind: Kind,
    volume: Volume,
    pod: Pod,
    sources: ConfigSources,
    inMemory: boolean,
  ): Promise<string> {
    if (kind === 'hostPath') {
      const source = volume.hostPath!;
      await setUpHostPath(source.path, source.type ?? '');
      return source.path;
    }
    const root = inMemory ? this.#memoryDir! : this.#podDir;
    const dir = path.join(root, PLUGIN_DIRS[kind], volume.name);
    // The payload first: a failure leaves no half-made volume behind.
    const payload =
      kind === 'emptyDir' ? undefined : await this.#payload(kind, volume, pod, sources);
    if (inMemory) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, EMPTY_DIR_MODE);
    } else {
      await mkdir(dir, { recursive: true });
      await chmod(dir, EMPTY_DIR_MODE);
    }
    if (payload) await new AtomicWriter(dir, this.#now, { sync: inMemory }).write(payload);
    await this.#own(pod, dir, ATOMIC_KINDS.has(kind));
    return dir;
  }

  /** Whether the last setUp or update could not give a volume the pod's fsGroup (not root). */
  get fsGroupDenied(): boolean {
    return this.#fsGroupDenied;
  }

  async #own(pod: Pod, dir: string, readOnly: boolean): Promise<void> {
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    if (fsGroup === undefined || fsGroup === null) return;
    if (!(await applyFsGroup(dir, fsGroup, readOnly))) this.#fsGroupDenied = true;
  }

  async #payload(kind: Kind, volume: Volume, pod: Pod, sources: ConfigSources): Promise<Payload> {
    switch (kind) {
      case 'configMap': {
        const { name = '', defaultMode = DEFAULT_MODE, ...rest } = volume.configMap!;
        return objectPayload('configmap', pod, name, rest, defaultMode, sources);
      }
      case 'secret': {
        const { secretName = '', defaultMode = DEFAULT_MODE, ...rest } = volume.secret!;
        return objectPayload('secret', pod, secretName, rest, defaultMode, sources);
      }
      case 'downwardAPI': {
        const { items = [], defaultMode = DEFAULT_MODE } = volume.downwardAPI!;
        return downwardPayload(pod, items, defaultMode, sources);
      }
      case 'projected': {
        const { sources: projections = [], defaultMode = DEFAULT_MODE } = volume.projected!;
        return projectedPayload(pod, projections, defaultMode, sources);
      }
      default:
        throw new Error(`bug: ${kind} volumes have no payload`);
    }
  }

  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * A failure of a volume's set-up as the ConfigError naming it: ConfigErrors and file
 * system errors (which the kubelet reports as they are); anything else is a bug, rethrown.
 */
function asVolumeError(err: unknown, volume: string): ConfigError {
  if (err instanceof ConfigError) {
    err.volume ??= volume;
    return err;
  }
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string') {
    return new ConfigError(err.message, { volume, cause: err });
  }
  throw err;
}
