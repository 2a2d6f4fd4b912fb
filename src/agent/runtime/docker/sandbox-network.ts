import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { RuntimeLabels } from '../types.ts';
import { openNetnsAttacher, wharfRunDir, type NetnsAttacher } from '../process/index.ts';
import { KIND_SANDBOX } from './config.ts';
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
// (process/netns-attacher.ts). Otherwise, or with `attach: 'engine'`, the engine does.

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
  const opened = await openNetnsAttacher({
    name: `docker-${network.name}`,
    bridge: gateway.bridge,
    subnet: gateway.subnet,
    gateway: gateway.address,
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
  await opened.attacher.reconcile(() => engineSandboxes(docker, network.name));
  return opened.attacher;
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
  return { ids: new Set(items.map((item) => item.Id)), addresses };
}
