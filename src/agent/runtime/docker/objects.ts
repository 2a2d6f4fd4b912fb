import type Docker from 'dockerode';
import { RuntimeError, RuntimeLabels, type ContainerStatus } from '../types.ts';
import { KIND_CONTAINER } from './config.ts';
import { engineMessage, statusCode } from './engine.ts';
import { imageRefOf } from './images.ts';
import { containerStatus } from './status.ts';

// The engine's containers as one instance sees them: anything without this instance's
// label is treated as missing, so two agents sharing an engine never touch each other's.

/** Runs an engine call, turning its failure into `Unavailable` with what was being done. */
export async function engineCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new RuntimeError('Unavailable', `${what}: ${engineMessage(err)}`, { cause: err });
  }
}

export class InstanceObjects {
  readonly #docker: Docker;
  readonly #instance: string;
  /** imageRef by image ID; an ID's digests do not change. */
  readonly #imageRefs = new Map<string, string>();

  constructor(docker: Docker, instance: string) {
    this.#docker = docker;
    this.#instance = instance;
  }

  /** The container if it exists and belongs to this instance. */
  async inspect(id: string, kind?: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      const info = await this.#docker.getContainer(id).inspect();
      const labels = info.Config.Labels ?? {};
      if (labels[RuntimeLabels.instance] !== this.#instance) return undefined;
      return kind === undefined || labels[RuntimeLabels.kind] === kind ? info : undefined;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw new RuntimeError('Unavailable', `inspecting ${id}: ${engineMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** Containers of `kind` (running or not), optionally narrowed to an id or a `key=value` label. */
  list(
    kind: string,
    narrow: { id?: string; label?: string } = {},
  ): Promise<Docker.ContainerInfo[]> {
    const label = [`${RuntimeLabels.instance}=${this.#instance}`, `${RuntimeLabels.kind}=${kind}`];
    if (narrow.label) label.push(narrow.label);
    const filters = { label, ...(narrow.id ? { id: [narrow.id] } : {}) };
    return engineCall(`listing ${kind}s`, () =>
      this.#docker.listContainers({ all: true, filters }),
    );
  }

  async status(id: string): Promise<ContainerStatus | undefined> {
    const info = await this.inspect(id, KIND_CONTAINER);
    return info && containerStatus(info, await this.#imageRef(info.Image));
  }

  /** Kills and removes a container with its anonymous volumes. Idempotent. */
  async forceRemove(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const code = statusCode(err);
      // 404: gone already; 409: the engine is removing it already.
      if (code === 404 || code === 409) return;
      throw new RuntimeError('Unavailable', `removing ${id}: ${engineMessage(err)}`, {
        cause: err,
      });
    }
  }

  async #imageRef(imageId: string): Promise<string> {
    const known = this.#imageRefs.get(imageId);
    if (known) return known;
    try {
      const ref = imageRefOf(await this.#docker.getImage(imageId).inspect());
      this.#imageRefs.set(imageId, ref);
      return ref;
    } catch (err) {
      if (statusCode(err) === 404) return `docker://${imageId}`;
      throw new RuntimeError('Unavailable', `inspecting image ${imageId}: ${engineMessage(err)}`, {
        cause: err,
      });
    }
  }
}
