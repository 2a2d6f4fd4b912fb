import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { halvesOf } from '../podnet/index.ts';
import { engineMessage, statusCode } from './engine.ts';

// The user-defined bridge network pods live on. It is shared by every instance on the
// engine and outlives drivers: it is created when missing and never removed here.
//
// Two allocators share its subnet: the engine, for what it attaches itself (sandboxes
// where wharf cannot attach them, `docker run --network wharf`), and wharf's pool, for
// the sandboxes wharf attaches, which the engine knows nothing of. So the network is made
// with the engine's range (IPRange) the lower half of the subnet; the pool takes the other
// half (podnet's rangeBeside).

export interface PodNetwork {
  name: string;
  subnet: string;
}

export const DEFAULT_NETWORK: PodNetwork = { name: 'wharf', subnet: '10.88.0.0/16' };

/** Where the host sits on the pod network: its bridge device and address. */
export interface PodGateway {
  bridge: string;
  address: string;
  subnet: string;
  /** The part of the subnet the engine hands out (its IPRange); absent: all of it. */
  engineRange?: string;
}

/** Creates the pod network when missing; answers the host's side of it. */
export async function ensureNetwork(
  docker: Docker,
  network: PodNetwork,
  log: Logger,
): Promise<PodGateway | undefined> {
  await createNetwork(docker, network, log);
  const info = await inspectNetwork(docker, network.name);
  const ipam = (info?.IPAM?.Config ?? []) as {
    Subnet?: string;
    Gateway?: string;
    IPRange?: string;
  }[];
  const v4 = ipam.find((c) => c.Subnet && !c.Subnet.includes(':'));
  if (!info || !v4?.Subnet) return undefined;
  const options = (info.Options ?? {}) as Record<string, string>;
  return {
    bridge: options['com.docker.network.bridge.name'] ?? `br-${info.Id.slice(0, 12)}`,
    address: v4.Gateway ?? firstHostOf(v4.Subnet),
    subnet: v4.Subnet,
    ...(v4.IPRange ? { engineRange: v4.IPRange } : {}),
  };
}

function firstHostOf(subnet: string): string {
  const [ip] = subnet.split('/');
  const parts = (ip ?? '0.0.0.0').split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 1;
  return parts.join('.');
}

async function createNetwork(docker: Docker, network: PodNetwork, log: Logger): Promise<void> {
  const existing = await inspectNetwork(docker, network.name);
  if (existing) {
    const subnets = (existing.IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet);
    if (!subnets.includes(network.subnet)) {
      log.warn(
        { network: network.name, want: network.subnet, have: subnets },
        'the pod network exists with another subnet; using it as it is',
      );
    }
    return;
  }
  try {
    await docker.createNetwork({
      Name: network.name,
      Driver: 'bridge',
      // Without it, API 1.41 engines happily create a second network of the same name.
      CheckDuplicate: true,
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: network.subnet, IPRange: halvesOf(network.subnet)[0] }],
      },
      Labels: { 'dev.wharf.network': 'pods' },
    });
  } catch (err) {
    // Another driver created it meanwhile.
    if (statusCode(err) === 409 && (await inspectNetwork(docker, network.name))) return;
    throw new Error(
      `creating docker network ${network.name} (${network.subnet}): ${engineMessage(err)}`,
      { cause: err },
    );
  }
}

async function inspectNetwork(docker: Docker, name: string) {
  try {
    return (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new Error(`inspecting docker network ${name}: ${engineMessage(err)}`, { cause: err });
  }
}
