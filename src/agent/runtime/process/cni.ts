import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PortMapping } from '../types.ts';
import { SYSTEM_PATH } from './host.ts';

// A pod's network the way a CRI runtime makes it, without a CNI library: a named network
// namespace (`ip netns`), then the standard plugins executed directly — `loopback` for lo,
// `bridge` with `host-local` IPAM for eth0, `portmap` for hostPorts — with the CNI_*
// variables and the network configuration on stdin (CNI spec 1.0). host-local keeps its
// allocations in its default directory (/var/lib/cni/networks/<name>) on purpose: agents
// sharing a machine and a network name then never hand out the same address.

const CNI_VERSION = '1.0.0';
const TIMEOUT_MS = 30_000;
const run = promisify(execFile);

export interface CniNetwork {
  name: string;
  bridge: string;
  subnet: string;
}

export interface PodNetworkTools {
  ip: string;
  cniBinDir: string;
  portmap: boolean;
}

export interface PodAttachment {
  sandboxId: string;
  netns: string;
  podName: string;
  namespace: string;
  network: CniNetwork;
  ports: PortMapping[];
}

export function netnsName(sandboxId: string): string {
  return `wharf-${sandboxId.slice(0, 12)}`;
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

function pluginConfigs(a: PodAttachment) {
  const { name, bridge, subnet } = a.network;
  const base = { cniVersion: CNI_VERSION, name };
  const portMappings = a.ports
    .filter((p) => p.hostPort)
    .map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase(),
      ...(p.hostIP ? { hostIP: p.hostIP } : {}),
    }));
  return {
    loopback: { ...base, type: 'loopback' },
    bridge: {
      ...base,
      type: 'bridge',
      bridge,
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
    },
    portmap:
      portMappings.length > 0
        ? {
            ...base,
            type: 'portmap',
            snat: true,
            capabilities: { portMappings: true },
            runtimeConfig: { portMappings },
          }
        : undefined,
  };
}

async function invoke(
  tools: PodNetworkTools,
  a: PodAttachment,
  command: 'ADD' | 'DEL',
  ifname: string,
  config: { type: string } & Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: a.sandboxId,
    CNI_NETNS: netnsPath(a.netns),
    CNI_IFNAME: ifname,
    CNI_PATH: tools.cniBinDir,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.namespace};K8S_POD_NAME=${a.podName}`,
    PATH: SYSTEM_PATH,
  };
  const child = spawn(join(tools.cniBinDir, config.type), [], { env, timeout: TIMEOUT_MS });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => undefined); // the plugin may exit without reading
  child.stdin.end(JSON.stringify(config));
  const [code] = await new Promise<[number | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve([c]));
  });
  const stdout = Buffer.concat(out).toString();
  let result: Record<string, unknown> = {};
  try {
    result = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  } catch {
    // not JSON: reported below if the plugin failed
  }
  if (code !== 0) {
    const detail = [result.msg, result.details].filter(Boolean).join(': ');
    const text = detail || Buffer.concat(err).toString().trim() || stdout.trim();
    throw new Error(`CNI ${command} with ${config.type} failed (exit ${code}): ${text}`);
  }
  return result;
}

/** Creates the namespace and attaches it; returns the pod's IPs. Undoes itself on failure. */
export async function setUpPodNetwork(tools: PodNetworkTools, a: PodAttachment): Promise<string[]> {
  const configs = pluginConfigs(a);
  if (configs.portmap && !tools.portmap) {
    throw new Error(`hostPort needs the CNI portmap plugin, not found in ${tools.cniBinDir}`);
  }
  await run(tools.ip, ['netns', 'add', a.netns]);
  try {
    await invoke(tools, a, 'ADD', 'lo', configs.loopback);
    const result = await invoke(tools, a, 'ADD', 'eth0', configs.bridge);
    if (configs.portmap) {
      await invoke(tools, a, 'ADD', 'eth0', { ...configs.portmap, prevResult: result });
    }
    const ips = (result.ips as Array<{ address: string }> | undefined) ?? [];
    if (ips.length === 0) throw new Error(`CNI bridge returned no IP: ${JSON.stringify(result)}`);
    return ips.map((ip) => ip.address.split('/')[0]!);
  } catch (err) {
    await tearDownPodNetwork(tools, a).catch(() => undefined);
    throw err;
  }
}

/** Detaches the pod (releasing its IP) and deletes the namespace. Idempotent. */
export async function tearDownPodNetwork(tools: PodNetworkTools, a: PodAttachment): Promise<void> {
  const configs = pluginConfigs(a);
  const errors: string[] = [];
  const del = (ifname: string, config: ({ type: string } & Record<string, unknown>) | undefined) =>
    config
      ? invoke(tools, a, 'DEL', ifname, config).catch((e: Error) => errors.push(e.message))
      : 0;
  // DEL must succeed for what is already gone, so it runs even when the netns is missing
  // (host-local then still releases the address).
  if (tools.portmap) await del('eth0', configs.portmap);
  await del('eth0', configs.bridge);
  if (existsSync(netnsPath(a.netns))) {
    await del('lo', configs.loopback);
    await run(tools.ip, ['netns', 'delete', a.netns]).catch((e: Error) => errors.push(e.message));
  }
  if (errors.length > 0) throw new Error(errors.join('; '));
}
