import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { engineMessage, statusCode } from './engine.ts';

// The user-defined bridge network pods live on. It is shared by every instance on the
// engine and outlives drivers: it is created when missing and never removed here.

export interface PodNetwork {
  name: string;
  subnet: string;
}

export const DEFAULT_NETWORK: PodNetwork = { name: 'wharf', subnet: '10.88.0.0/16' };

export async function ensureNetwork(docker: Docker, network: PodNetwork, log: Logger) {
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
      IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet }] },
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
