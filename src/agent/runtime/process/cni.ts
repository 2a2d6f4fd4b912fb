import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
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

// Setting a pod up or down is one `sh` run, not one spawn per step: every spawn forks the
// agent, which costs the API server in the same process ~10 ms of a stalled event loop.
const SET_UP = `
ip netns add "$W_NETNS" || exit 10
out=$(printf '%s' "$W_LO" | CNI_IFNAME=lo "$W_BIN/loopback") || { printf '%s' "$out"; exit 11; }
out=$(printf '%s' "$W_BRIDGE" | CNI_IFNAME=eth0 "$W_BIN/bridge") || { printf '%s' "$out"; exit 12; }
printf '%s' "$out"`;

const TEAR_DOWN = `
failed=0
if [ -n "$W_PORTMAP" ]; then
  out=$(printf '%s' "$W_PORTMAP" | CNI_IFNAME=eth0 "$W_BIN/portmap") || { echo "portmap: $out" >&2; failed=1; }
fi
out=$(printf '%s' "$W_BRIDGE" | CNI_IFNAME=eth0 "$W_BIN/bridge") || { echo "bridge: $out" >&2; failed=1; }
if [ -e "/run/netns/$W_NETNS" ]; then
  out=$(printf '%s' "$W_LO" | CNI_IFNAME=lo "$W_BIN/loopback") || { echo "loopback: $out" >&2; failed=1; }
  ip netns delete "$W_NETNS" || failed=1
fi
exit $failed`;

function runScript(
  tools: PodNetworkTools,
  a: PodAttachment,
  command: 'ADD' | 'DEL',
  script: string,
  vars: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: a.sandboxId,
    CNI_NETNS: netnsPath(a.netns),
    CNI_PATH: tools.cniBinDir,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.namespace};K8S_POD_NAME=${a.podName}`,
    PATH: `${dirname(tools.ip)}:${SYSTEM_PATH}`,
    W_NETNS: a.netns,
    W_BIN: tools.cniBinDir,
    ...vars,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { env, timeout: TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

function pluginFailure(stdout: string, stderr: string): string {
  try {
    const result = JSON.parse(stdout) as { msg?: string; details?: string };
    const detail = [result.msg, result.details].filter(Boolean).join(': ');
    if (detail) return detail;
  } catch {
    // not JSON: the plugin's own words follow
  }
  return stderr.trim() || stdout.trim();
}

/** Creates the namespace and attaches it; returns the pod's IPs. Undoes itself on failure. */
export async function setUpPodNetwork(tools: PodNetworkTools, a: PodAttachment): Promise<string[]> {
  const configs = pluginConfigs(a);
  if (configs.portmap && !tools.portmap) {
    throw new Error(`hostPort needs the CNI portmap plugin, not found in ${tools.cniBinDir}`);
  }
  try {
    const { code, stdout, stderr } = await runScript(tools, a, 'ADD', SET_UP, {
      W_LO: JSON.stringify(configs.loopback),
      W_BRIDGE: JSON.stringify(configs.bridge),
    });
    if (code === 10) throw new Error(`ip netns add ${a.netns} failed: ${stderr.trim()}`);
    if (code === 11 || code === 12) {
      const plugin = code === 11 ? 'loopback' : 'bridge';
      throw new Error(`CNI ADD with ${plugin} failed: ${pluginFailure(stdout, stderr)}`);
    }
    if (code !== 0)
      throw new Error(`setting up the pod network failed (exit ${code}): ${stderr.trim()}`);
    const result = JSON.parse(stdout) as Record<string, unknown>;
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
  // DEL must succeed for what is already gone, so it runs even when the netns is missing
  // (host-local then still releases the address).
  const { code, stderr } = await runScript(tools, a, 'DEL', TEAR_DOWN, {
    W_LO: JSON.stringify(configs.loopback),
    W_BRIDGE: JSON.stringify(configs.bridge),
    W_PORTMAP: tools.portmap && configs.portmap ? JSON.stringify(configs.portmap) : '',
  });
  if (code !== 0) throw new Error(`tearing down the pod network failed: ${stderr.trim()}`);
}
