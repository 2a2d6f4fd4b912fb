import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { RuntimeError, RuntimeLabels, type Mount, type SandboxSpec } from '../types.ts';
import { wharfRunDir } from '../host/index.ts';
import { openNetnsAttacher, rangeBeside, type NetnsAttacher } from '../podnet/index.ts';
import { attachedPorts, KIND_SANDBOX } from './config.ts';
import { statusCode } from './engine.ts';
import { PAUSE_IMAGE } from './pause.ts';
import type { PodGateway, PodNetwork } from './network.ts';

// Who attaches a pod's sandbox to the pod network. The engine can: a sandbox created on
// its network gets a veth, an address and DNS files from it. But for each such container
// the engine runs itself again as a prestart hook (libnetwork-setkey) and does its
// endpoint work in between, which measured at more than the rest of a pod's start: 50
// pods at once were Ready after 12.1–13.3 s (p50) with engine-attached sandboxes, 5.6–5.8 s
// with sandboxes whose networking was off, against 5.1–6.0 s for 50 `docker run`s.
//
// So, as root with `ip` and the CNI portmap plugin, wharf attaches sandboxes itself, to
// the engine's bridge, with addresses from a pool of its own on the network's subnet
// (podnet/netns-attacher.ts): the half of the subnet the engine's own range leaves
// (network.ts). Otherwise, or with `attach: 'engine'`, the engine does.

export type SandboxAttach = 'auto' | 'engine';

export interface SandboxNetworkOptions {
  attach: SandboxAttach;
  /** Where each sandbox's /etc files go. Default: wharf's runtime directory (a tmpfs). */
  etcRoot?: string;
  log: Logger;
}

/** The attacher for this driver's sandboxes, or undefined when the engine attaches them. */
export async function openSandboxNetwork(
  docker: Docker,
  network: PodNetwork,
  gateway: PodGateway | undefined,
  options: SandboxNetworkOptions,
): Promise<NetnsAttacher | undefined> {
  if (options.attach === 'engine') return undefined;
  if (!gateway) {
    options.log.info(
      { network: network.name },
      'the engine attaches pods: its pod network has no IPv4 subnet wharf could use',
    );
    return undefined;
  }
  const runDir = options.etcRoot ? undefined : wharfRunDir();
  const etcRoot =
    options.etcRoot ??
    (runDir
      ? join(runDir, 'docker-runtime', 'pod-etc')
      : join(tmpdir(), 'wharf-docker-runtime', 'pod-etc'));
  const range = rangeBeside(gateway.subnet, gateway.engineRange);
  const opened = await openNetnsAttacher({
    name: `docker-${network.name}`,
    bridge: gateway.bridge,
    subnet: gateway.subnet,
    gateway: gateway.address,
    ...(range ? { range } : {}),
    bridgeOwner: 'the docker engine',
    etcRoot,
    etcOnTmpfs: runDir !== undefined,
    log: options.log,
  });
  if ('why' in opened) {
    options.log.info(
      { network: network.name },
      `the engine attaches pods (slower to start): wharf cannot, ${opened.why}`,
    );
    return undefined;
  }
  if (!range) {
    options.log.warn(
      { network: network.name, subnet: gateway.subnet, engineRange: gateway.engineRange },
      "the engine hands out addresses from all of the pod network's subnet (its IPRange): a container the engine attaches may get an address a pod has",
    );
  }
  const { attacher } = opened;
  await attacher.reconcile(() => engineSandboxes(docker, network.name));
  try {
    await ensureNetworkHolder(docker, network.name, attacher);
  } catch (err) {
    options.log.warn(
      { err, network: network.name },
      'nothing keeps the pod network in use for the engine: `docker network prune` would remove it under running pods',
    );
  }
  return attacher;
}

/** Every wharf sandbox on the engine, any agent's, and the addresses the engine gave. */
async function engineSandboxes(docker: Docker, networkName: string) {
  const items = await docker.listContainers({
    all: true,
    filters: { label: [`${RuntimeLabels.kind}=${KIND_SANDBOX}`] },
  });
  const addresses = new Map<string, string>();
  for (const item of items) {
    const ip = item.NetworkSettings?.Networks?.[networkName]?.IPAddress;
    if (ip && item.State === 'running') addresses.set(item.Id, ip);
  }
  // The holder's claim is by name, made before its container exists: never stale here.
  const ids = new Set([...items.map((item) => item.Id), networkHolderName(networkName)]);
  return { ids, addresses };
}

export const KIND_NETWORK_HOLDER = 'network-holder';

export function networkHolderName(network: string): string {
  return `wharf-network-holder-${network}`;
}

/**
 * Keeps the pod network in use in the engine's eyes. With sandboxes wharf attaches, no
 * container is on it as far as the engine knows, and `docker network prune` (or
 * `docker system prune`) would remove it, bridge and all, under running pods. One pause
 * container on it holds it, at an address from wharf's pool so that no pod is given
 * the same. Shared by the agents on the engine and never removed, like the network.
 */
async function ensureNetworkHolder(
  docker: Docker,
  network: string,
  attacher: NetnsAttacher,
): Promise<void> {
  const name = networkHolderName(network);
  let info = await inspectByName(docker, name);
  if (!info) {
    const address = await attacher.claim(name);
    try {
      await docker.createContainer({
        name,
        Image: PAUSE_IMAGE,
        Labels: { [RuntimeLabels.kind]: KIND_NETWORK_HOLDER },
        HostConfig: {
          NetworkMode: network,
          RestartPolicy: { Name: 'unless-stopped' },
          CpuShares: 2,
          LogConfig: { Type: 'none', Config: {} },
        },
        NetworkingConfig: {
          EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: address } } },
        },
      });
    } catch (err) {
      if (statusCode(err) !== 409) {
        await attacher.release(name);
        throw err;
      }
      // Another agent made it meanwhile, with the same claim.
    }
    info = await inspectByName(docker, name);
  }
  // Its configured address: a stopped container has no IPAddress.
  const endpoint = info?.NetworkSettings?.Networks?.[network];
  const given = endpoint?.IPAMConfig?.IPv4Address || endpoint?.IPAddress;
  if (given && !(await attacher.claimGiven(name, given))) {
    throw new Error(`${name} has ${given}, which wharf's pool gave another`);
  }
  if (info && !info.State.Running) {
    await docker
      .getContainer(info.Id)
      .start()
      .catch((err: unknown) => {
        if (statusCode(err) !== 304) throw err;
      });
  }
}

async function inspectByName(docker: Docker, name: string) {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Attaches a started sandbox; returns the mounts of its /etc files for its containers. */
export async function attachSandbox(
  attacher: NetnsAttacher,
  info: Docker.ContainerInspectInfo,
  spec: SandboxSpec,
): Promise<Mount[]> {
  try {
    const attached = await attacher.attach({
      id: info.Id,
      pid: info.State.Pid,
      hostname: info.Config.Hostname,
      podName: spec.podName,
      namespace: spec.namespace,
      ports: spec.ports.filter((p) => p.hostPort),
      ...(spec.dns ? { dns: spec.dns } : {}),
      ...(spec.hostDomain ? { hostDomain: spec.hostDomain } : {}),
      ...(spec.hostAliases ? { hostAliases: spec.hostAliases } : {}),
    });
    return attached.mounts;
  } catch (err) {
    const pod = `${spec.namespace}/${spec.podName}`;
    const message = `cannot set up the network of pod ${pod}: ${(err as Error).message}`;
    throw new RuntimeError('Unavailable', message, { cause: err });
  }
}

/**
 * Takes down what was attached for a sandbox (also one gone from the engine); of one the
 * engine attached, only the claim on its address is released. Idempotent.
 */
export async function detachSandbox(
  attacher: NetnsAttacher,
  id: string,
  info: Docker.ContainerInspectInfo | undefined,
): Promise<void> {
  const ports = attachedPorts(info?.Config.Labels);
  try {
    if (info && !ports) await attacher.release(id);
    else await attacher.detach(id, ports ?? []);
  } catch (err) {
    const message = `taking down the network of sandbox ${id}: ${(err as Error).message}`;
    throw new RuntimeError('Unavailable', message, { cause: err });
  }
}
