import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../client/index.ts';
import { readResolvConf } from '../../../network/index.ts';
import type { DnsConfig, HostAlias, Mount, PortMapping } from '../types.ts';
import { acquireSpawner, isExecutableFile, readdir, rm, which } from '../host/index.ts';
import { netnsName, type PodAttachment } from './cni.ts';
import { hostVethName, PodNetwork } from './pod-network.ts';
import { POD_ETC, removePodEtcFiles, writePodEtcFiles } from './pod-etc-files.ts';

// Pod networks for namespaces another runtime makes. The docker engine starts a pause
// container whose namespace holds nothing but `lo` (the engine's networking is off for
// it, and with it the engine's per-container prestart hook and endpoint work); this
// attaches that namespace to the engine's bridge the way the process runtime attaches
// its own (pod-network.ts): a name for the namespace, a veth into it, an address from a
// pool on the bridge's subnet, hostPorts through the CNI portmap plugin. The pod's
// /etc/hosts and resolv.conf, which the engine then does not write either, are written
// here for the runtime to bind-mount into the pod's containers.
//
// The pool (/var/lib/cni/networks/<name>) is the record of who holds which address: it
// is what a restarted agent reads back, and what agents sharing the engine share.

export interface NetnsAttacherOptions {
  /** The pool's name: its directory under /var/lib/cni/networks. */
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  /** The part of the subnet pods get addresses from (a CIDR); the rest is the engine's. */
  range?: string;
  /** Who made the bridge: named when it is gone. */
  bridgeOwner: string;
  /** A directory per sandbox for its /etc files. */
  etcRoot: string;
  /** Whether `etcRoot` is a tmpfs: its writes are then made synchronously. */
  etcOnTmpfs: boolean;
  log: Logger;
}

export interface SandboxToAttach {
  id: string;
  /** A process in the namespace: the pause container's. */
  pid: number;
  hostname: string;
  podName: string;
  namespace: string;
  ports: PortMapping[];
  /** The pod's resolver; without one, the node's, as the engine would have copied it. */
  dns?: DnsConfig;
  hostDomain?: string;
  hostAliases?: HostAlias[];
}

/** The engine's view, for reconcile(): every sandbox it has, and the addresses it gave. */
export interface EngineSandboxes {
  ids: Set<string>;
  addresses: Map<string, string>;
}

/** An attacher, or why there is none on this machine (the runtime then attaches itself). */
export async function openNetnsAttacher(
  options: NetnsAttacherOptions,
): Promise<{ attacher: NetnsAttacher } | { why: string }> {
  if (process.getuid?.() !== 0) return { why: 'not root' };
  const ip = await which('ip');
  if (!ip) return { why: 'no `ip` command (apt-get install iproute2)' };
  const dirs = ['/usr/lib/cni', '/opt/cni/bin'];
  const found = await Promise.all(dirs.map((dir) => isExecutableFile(join(dir, 'portmap'))));
  const cniBinDir = dirs[found.indexOf(true)];
  if (!cniBinDir) {
    return {
      why: 'no CNI portmap plugin for hostPorts (apt-get install containernetworking-plugins)',
    };
  }
  const iptables = await which('iptables');
  return {
    attacher: new NetnsAttacher(options, { ip, cniBinDir, ...(iptables ? { iptables } : {}) }),
  };
}

export class NetnsAttacher {
  readonly #network: PodNetwork;
  readonly #options: NetnsAttacherOptions;
  readonly #release: () => void;
  /** Sandbox id to address, as attached or read back: a detach needs no directory scan. */
  readonly #addresses = new Map<string, string>();
  /** Detached at their stop and not yet removed: a removal then needs no pool scan. */
  readonly #detached = new Set<string>();

  constructor(
    options: NetnsAttacherOptions,
    tools: { ip: string; cniBinDir: string; iptables?: string },
  ) {
    this.#options = options;
    const { spawner, release } = acquireSpawner(options.log);
    this.#release = release;
    const { name, bridge, subnet, gateway, bridgeOwner, range } = options;
    this.#network = new PodNetwork(
      spawner,
      { ...tools, portmap: true },
      { name, bridge, subnet },
      { gateway, bridgeOwner, ...(range ? { range } : {}) },
    );
  }

  /** Attaches the sandbox's namespace and writes its /etc files; undoes it all on failure. */
  async attach(s: SandboxToAttach): Promise<{ ip: string; mounts: Mount[] }> {
    const ip = await this.#network.setUp(this.#attachment(s.id, s), {
      hostVeth: hostVethName(s.id),
    });
    this.#addresses.set(s.id, ip);
    try {
      const files = await writePodEtcFiles(
        this.#etcDir(s.id),
        {
          hostname: s.hostname,
          dns: s.dns ?? nodeResolver(),
          ips: [ip],
          ...(s.hostDomain ? { hostDomain: s.hostDomain } : {}),
          ...(s.hostAliases ? { hostAliases: s.hostAliases } : {}),
        },
        { sync: this.#options.etcOnTmpfs, nodeTargets: false },
      );
      return { ip, mounts: files.mounts };
    } catch (err) {
      await this.detach(s.id, s.ports).catch(() => undefined);
      throw new Error(`writing its /etc/hosts and resolv.conf: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** The /etc files of an attached sandbox, as mounts for its containers. */
  etcMounts(id: string): Mount[] {
    const dir = this.#etcDir(id);
    const files = [
      { name: 'resolv.conf', target: POD_ETC.resolvConf },
      { name: 'hosts', target: POD_ETC.hosts },
    ];
    return files
      .filter((f) => statSync(join(dir, f.name), { throwIfNoEntry: false })?.isFile())
      .map((f) => ({ hostPath: join(dir, f.name), containerPath: f.target, readOnly: false }));
  }

  /** The address the sandbox holds, if it was attached here. */
  address(id: string): string | undefined {
    return this.#addresses.get(id);
  }

  /** Detaches the sandbox, releases its address, removes its /etc files. Idempotent. */
  async detach(id: string, ports: PortMapping[]): Promise<void> {
    if (this.#detached.delete(id)) return;
    const address = this.#addresses.get(id);
    await this.#network.tearDown(this.#attachment(id, { ports }), {
      hostVeth: hostVethName(id),
      ...(address ? { address } : {}),
    });
    this.#addresses.delete(id);
    await removePodEtcFiles(this.#etcDir(id));
    if (address) this.#detached.add(id);
  }

  /**
   * An address for something the engine attaches itself (a container that keeps the
   * network in use), held under `key`: the one it already holds, else a new one.
   */
  async claim(key: string): Promise<string> {
    return (await this.#network.holders()).get(key) ?? (await this.#network.allocate(key));
  }

  /** Claims an address the engine gave under `key`; false when someone else holds it. */
  claimGiven(key: string, address: string): Promise<boolean> {
    return this.#network.reserve(address, key);
  }

  /** Releases the claim on an address of a sandbox the engine attached. Idempotent. */
  async release(id: string): Promise<void> {
    this.#addresses.delete(id);
    await this.#network.release(id);
  }

  /**
   * After a restart: learns who holds which address, releases addresses and /etc files of
   * sandboxes the engine no longer has, and claims the addresses the engine itself gave
   * (sandboxes of agents before this way of attaching), so that none is handed out twice.
   * The pool and the directory are read before the engine is asked: whatever they hold
   * was attached after its container was created, so it is in the engine's answer.
   */
  async reconcile(engine: () => Promise<EngineSandboxes>): Promise<void> {
    const held = await this.#network.holders();
    const dirs = await readdir(this.#options.etcRoot).catch(() => [] as string[]);
    const { ids, addresses } = await engine();
    for (const [id, address] of held) {
      if (ids.has(id)) this.#addresses.set(id, address);
      else await this.#network.release(id);
    }
    for (const [id, address] of addresses) {
      if (held.get(id) === address) continue;
      if (!(await this.#network.reserve(address, id))) {
        this.#options.log.warn(
          { sandbox: id, address },
          'a sandbox the engine attached holds an address this pool gave another',
        );
      }
    }
    for (const dir of dirs) {
      if (!ids.has(dir))
        await rm(join(this.#options.etcRoot, dir), { recursive: true, force: true });
    }
  }

  close(): void {
    this.#release();
  }

  #etcDir(id: string): string {
    return join(this.#options.etcRoot, id);
  }

  #attachment(
    id: string,
    s: { ports: PortMapping[]; pid?: number; podName?: string; namespace?: string },
  ): PodAttachment {
    return {
      sandboxId: id,
      netns: netnsName(id),
      podName: s.podName ?? '',
      namespace: s.namespace ?? '',
      network: this.#network.network,
      ports: s.ports,
      ...(s.pid ? { pid: s.pid } : {}),
    };
  }
}

/**
 * The node's resolver as the engine copies it into a container: without loopback
 * nameservers, which would be the pod's own loopback in its namespace.
 */
export function nodeResolver(file = '/etc/resolv.conf'): DnsConfig {
  const conf = readResolvConf(file);
  const loopback = (a: string) => a.startsWith('127.') || a === '::1';
  return {
    servers: conf.nameservers.filter((a) => !loopback(a)),
    searches: conf.search,
    options: conf.options,
  };
}
