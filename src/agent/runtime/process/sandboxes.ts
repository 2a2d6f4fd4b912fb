import { join } from 'node:path';
import type { Logger } from '../../../client/index.ts';
import { RuntimeError, type SandboxSpec, type SandboxStatus } from '../types.ts';

import type { ProcessHost } from './host.ts';
import {
  hostVethName,
  netnsName,
  PodNetwork,
  removePodEtcFiles,
  writePodEtcFiles,
  type CniNetwork,
  type PodAttachment,
} from '../podnet/index.ts';
import type { RecordStore, SandboxRecord } from './records.ts';
import type { Spawner } from '../host/index.ts';

// A sandbox is a record; with a pod network (root, CNI plugins) also a network namespace
// that its containers join (podnet/pod-network.ts). The record is written before the namespace
// exists, so that an agent dying half-way leaves something that removeSandbox can clean up.
//
// With a mount namespace (root) the pod gets its own /etc/resolv.conf (spec.dns) and
// /etc/hosts (podnet/pod-etc-files.ts); without one its processes see the node's, which the
// node's notes say. Not done: the UTS hostname (containers get HOSTNAME in their
// environment only). On the host network a hostPort can only be the containerPort
// itself: the process binds it directly.

export interface SandboxDeps {
  host: ProcessHost;
  store: RecordStore;
  /** The network new pods are attached to. */
  network: CniNetwork;
  log: Logger;
  spawner: Spawner;
}

export interface SandboxContainers {
  /** Kills the container now (stopContainer with no grace). */
  stop(id: string): Promise<void>;
  remove(id: string): Promise<void>;
}

function toStatus(r: SandboxRecord): SandboxStatus {
  const { id, podUid, podName, namespace, state, ips } = r;
  return { id, podUid, podName, namespace, state, ips: [...ips], createdAt: new Date(r.createdAt) };
}

export class SandboxManager {
  readonly #host: ProcessHost;
  readonly #store: RecordStore;
  readonly #network: CniNetwork;
  readonly #log: Logger;
  readonly #containers: SandboxContainers;
  readonly #spawner: Spawner;
  /** By network: the driver's own, and those older records were attached to. */
  readonly #podNetworks = new Map<string, PodNetwork>();

  constructor(deps: SandboxDeps, containers: SandboxContainers) {
    this.#host = deps.host;
    this.#store = deps.store;
    this.#network = deps.network;
    this.#log = deps.log;
    this.#spawner = deps.spawner;
    this.#containers = containers;
  }

  /**
   * Makes the pod network's bridge and rules, when pods get networks of their own. A
   * failure is logged; each pod then tries again, and its own failure says why.
   */
  async init(): Promise<void> {
    if (this.#host.podNetwork !== 'pod') return;
    await this.#podNetwork(this.#network)
      .ensure()
      .catch((err: unknown) =>
        this.#log.error({ err }, 'cannot set up the pod network; pods will try again'),
      );
  }

  async run(spec: SandboxSpec): Promise<SandboxStatus> {
    const record = this.#store.newSandbox(spec);
    if (this.#host.podNetwork === 'pod' && !spec.hostNetwork) {
      record.netns = netnsName(record.id);
      record.network = this.#network;
      record.link = { hostVeth: hostVethName(record.id) };
      await this.#store.writeSandbox(record);
      try {
        const network = this.#podNetwork(this.#network);
        record.ips = [await network.setUp(this.#attachment(record), record.link)];
      } catch (err) {
        await this.#store.deleteSandbox(record.id);
        const message = `cannot set up the network of pod ${spec.namespace}/${spec.podName}: ${(err as Error).message}`;
        throw new RuntimeError('Unavailable', message, { cause: err });
      }
    } else {
      const remapped = spec.ports.filter((p) => p.hostPort && p.hostPort !== p.containerPort);
      if (remapped.length > 0) {
        this.#log.warn(
          { pod: `${spec.namespace}/${spec.podName}`, ports: remapped },
          'pods on the host network cannot map a hostPort to another containerPort',
        );
      }
    }
    if (this.#host.mounts) await this.#writeEtcFiles(record, spec);
    else if (spec.dns) {
      this.#log.warn(
        { pod: `${spec.namespace}/${spec.podName}` },
        "the pod's dnsPolicy and dnsConfig are not applied: a resolv.conf of its own needs a mount namespace (root); it uses the node's",
      );
    }
    if (!this.#host.mounts && spec.hostAliases) {
      this.#log.warn(
        { pod: `${spec.namespace}/${spec.podName}` },
        "the pod's hostAliases are not applied: an /etc/hosts of its own needs a mount namespace (root); it uses the node's",
      );
    }
    await this.#store.writeSandbox(record);
    return toStatus(record);
  }

  async #writeEtcFiles(record: SandboxRecord, spec: SandboxSpec): Promise<void> {
    const pod = `${spec.namespace}/${spec.podName}`;
    try {
      const { hostname, dns, hostDomain, hostAliases } = spec;
      const files = await writePodEtcFiles(
        this.#etcDir(record.id),
        {
          hostname,
          ...(dns ? { dns } : {}),
          ips: record.ips,
          ...(hostDomain ? { hostDomain } : {}),
          ...(hostAliases ? { hostAliases } : {}),
        },
        { sync: this.#store.inMemory },
      );
      for (const why of files.skipped) this.#log.warn({ pod }, why);
      if (files.mounts.length > 0) record.etcMounts = files.mounts;
    } catch (err) {
      await removePodEtcFiles(this.#etcDir(record.id)).catch(() => undefined);
      await this.remove(record.id).catch(() => undefined);
      const message = `cannot write /etc/resolv.conf and /etc/hosts of pod ${pod}: ${(err as Error).message}`;
      throw new RuntimeError('Unavailable', message, { cause: err });
    }
  }

  #etcDir(id: string): string {
    return join(this.#store.runRoot, 'pod-etc', id);
  }

  /** Kills the sandbox's containers; the network stays until removal. Idempotent. */
  async stop(id: string): Promise<void> {
    const record = await this.#store.readSandbox(id);
    if (!record) return;
    for (const c of await this.#store.listContainers()) {
      if (c.sandboxId === id && c.state === 'running') await this.#containers.stop(c.id);
    }
    if (record.state !== 'notready')
      await this.#store.writeSandbox({ ...record, state: 'notready' });
  }

  /** Removes the containers, releases the network, forgets the sandbox. Idempotent. */
  async remove(id: string): Promise<void> {
    const record = await this.#store.readSandbox(id);
    if (!record) return;
    for (const c of await this.#store.listContainers()) {
      if (c.sandboxId === id) await this.#containers.remove(c.id);
    }
    if (record.netns) {
      try {
        const network = this.#podNetwork(record.network ?? this.#network);
        const attachment = this.#attachment(record);
        if (record.link) await network.tearDown(attachment, record.link);
        else await network.tearDownLegacy(attachment);
      } catch (err) {
        const message = `cannot release the network of pod ${record.namespace}/${record.podName}: ${(err as Error).message}`;
        throw new RuntimeError('Unavailable', message, { cause: err });
      }
    }
    await removePodEtcFiles(this.#etcDir(id));
    // Where an agent before the runtime directory wrote them (run-dir.ts).
    if (this.#store.separate) await removePodEtcFiles(join(this.#store.stateRoot, 'pod-etc', id));
    await this.#store.deleteSandbox(id);
  }

  async list(): Promise<SandboxStatus[]> {
    return (await this.#store.listSandboxes()).map(toStatus);
  }

  #podNetwork(network: CniNetwork): PodNetwork {
    const key = `${network.name}\0${network.bridge}\0${network.subnet}`;
    let found = this.#podNetworks.get(key);
    if (!found) {
      const { tools, cniBinDir, portmap } = this.#host;
      if (!tools.ip || !cniBinDir) {
        throw new RuntimeError('Unavailable', 'pod networks need root, ip and the CNI plugins');
      }
      const { ip, iptables } = tools;
      const iptablesRestore = tools['iptables-restore'];
      const networkTools = { ip, cniBinDir, portmap, iptables, iptablesRestore };
      found = new PodNetwork(this.#spawner, networkTools, network);
      this.#podNetworks.set(key, found);
    }
    return found;
  }

  #attachment(r: SandboxRecord): PodAttachment {
    const { id: sandboxId, podName, namespace, ports } = r;
    return {
      sandboxId,
      netns: r.netns!,
      podName,
      namespace,
      ports,
      network: r.network ?? this.#network,
    };
  }
}
