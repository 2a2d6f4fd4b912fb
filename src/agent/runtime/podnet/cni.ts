import { dirname, join } from 'node:path';
import type { PortMapping } from '../types.ts';
import { SYSTEM_PATH, type RunStep } from '../host/index.ts';

// The standard CNI plugins, executed directly with the CNI_* variables and the network
// configuration on stdin (CNI spec 1.0), where wharf still needs them: `portmap` for
// hostPorts, and the DEL of `bridge`, `host-local` and `loopback` for sandboxes that
// agents before pod-network.ts attached with those plugins. host-local keeps its
// allocations in its default directory (/var/lib/cni/networks/<name>) on purpose: agents
// sharing a machine and a network name then never hand out the same address, and
// ipam.ts shares that pool. Like every process of the runtime, they run in the spawner.

const CNI_VERSION = '1.0.0';

export interface CniNetwork {
  name: string;
  bridge: string;
  subnet: string;
}

export interface CniTools {
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
  /** A process in a namespace made elsewhere (a container's), which is attached by name. */
  pid?: number;
}

export function netnsName(sandboxId: string): string {
  return `wharf-${sandboxId.slice(0, 12)}`;
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

// The configuration earlier agents attached pods with: a DEL must be given the same.
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

function cniEnv(tools: CniTools, a: PodAttachment, command: 'ADD' | 'DEL'): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: a.sandboxId,
    CNI_NETNS: netnsPath(a.netns),
    CNI_PATH: tools.cniBinDir,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.namespace};K8S_POD_NAME=${a.podName}`,
    PATH: `${dirname(tools.ip)}:${SYSTEM_PATH}`,
  };
}

/** The portmap plugin's run for the pod's hostPorts; undefined when it has none. */
export function portmapStep(
  tools: CniTools,
  a: PodAttachment,
  command: 'ADD' | 'DEL',
  prevResult?: Record<string, unknown>,
): RunStep | undefined {
  const config = pluginConfigs(a).portmap;
  if (!config) return undefined;
  return {
    file: join(tools.cniBinDir, 'portmap'),
    args: [],
    env: { ...cniEnv(tools, a, command), CNI_IFNAME: 'eth0' },
    input: JSON.stringify(prevResult ? { ...config, prevResult } : config),
  };
}

// DEL must succeed for what is already gone, so it runs even when the netns is missing
// (host-local then still releases the address).
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

/** Detaches a pod the plugins attached and deletes its namespace, in one `sh`. Idempotent. */
export function legacyTearDownStep(tools: CniTools, a: PodAttachment): RunStep {
  const configs = pluginConfigs(a);
  return {
    file: '/bin/sh',
    args: ['-c', TEAR_DOWN],
    env: {
      ...cniEnv(tools, a, 'DEL'),
      W_NETNS: a.netns,
      W_BIN: tools.cniBinDir,
      W_LO: JSON.stringify(configs.loopback),
      W_BRIDGE: JSON.stringify(configs.bridge),
      W_PORTMAP: tools.portmap && configs.portmap ? JSON.stringify(configs.portmap) : '',
    },
  };
}

export function pluginFailure(stdout: string, stderr: string): string {
  try {
    const result = JSON.parse(stdout) as { msg?: string; details?: string };
    const detail = [result.msg, result.details].filter(Boolean).join(': ');
    if (detail) return detail;
  } catch {
    // not JSON: the plugin's own words follow
  }
  return stderr.trim() || stdout.trim();
}
