import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { Node } from '../k8s-types.ts';
import type { RuntimeCapabilities, RuntimeVersion } from '../runtime/types.ts';

// The Node this agent stands for, as the kubelet registers and reports it: capacity read
// off the machine, allocatable less the kubelet's default hard eviction thresholds
// (memory.available 100Mi, nodefs.available 10%), and the four conditions computed from
// the same thresholds, so pressure is reported rather than assumed away.

export const MAX_PODS = 110;
const EVICTION_MEMORY_BYTES = 100 * 2 ** 20;
const EVICTION_NODEFS_FRACTION = 0.1;

export interface NodeFacts {
  nodeName: string;
  hostIP: string;
  dataDir: string;
  port: number;
  runtime: RuntimeVersion;
  runtimeName: string;
  capabilities: RuntimeCapabilities;
  kubeletVersion: string;
  labels?: Record<string, string>;
}

const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const release = readOr('/etc/os-release', '');
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1] ?? `${os.type()} ${os.release()}`;
}

function disk(dataDir: string): {
  total: number;
  free: number;
  inodesFree: number;
  inodes: number;
} {
  try {
    const s = statfsSync(dataDir);
    return {
      total: s.blocks * s.bsize,
      free: s.bavail * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
    };
  } catch {
    return { total: 0, free: 0, inodes: 0, inodesFree: 0 };
  }
}

export function nodeLabels(facts: NodeFacts): Record<string, string> {
  const arch = ARCH[process.arch] ?? process.arch;
  return {
    'kubernetes.io/hostname': facts.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    'wharf.dev/runtime': facts.runtimeName,
    ...(facts.capabilities.podNetwork === 'host' ? { 'wharf.dev/pod-network': 'host' } : {}),
    ...facts.labels,
  };
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function nodeConditions(facts: NodeFacts): Condition[] {
  const memoryPressure = os.freemem() < EVICTION_MEMORY_BYTES;
  const d = disk(facts.dataDir);
  const diskPressure = d.total > 0 && d.free < d.total * EVICTION_NODEFS_FRACTION;
  const pidMax = Number(readOr('/proc/sys/kernel/pid_max', '4194304'));
  const pids = Number(readOr('/proc/loadavg', '').split(' ')[3]?.split('/')[1] ?? 0);
  const pidPressure = pids > pidMax * 0.9;
  return [
    memoryPressure
      ? {
          type: 'MemoryPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientMemory',
          message: 'kubelet has insufficient memory available',
        }
      : {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
    diskPressure
      ? {
          type: 'DiskPressure',
          status: 'True',
          reason: 'KubeletHasDiskPressure',
          message: 'kubelet has disk pressure',
        }
      : {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
    pidPressure
      ? {
          type: 'PIDPressure',
          status: 'True',
          reason: 'KubeletHasInsufficientPID',
          message: 'kubelet has insufficient PID available',
        }
      : {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
        },
    {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
    },
  ];
}

export function nodeStatus(facts: NodeFacts): NonNullable<Node['status']> {
  const d = disk(facts.dataDir);
  const memKi = Math.floor(os.totalmem() / 1024);
  const diskKi = Math.floor(d.total / 1024);
  const cpu = String(os.availableParallelism?.() ?? os.cpus().length);
  const arch = ARCH[process.arch] ?? process.arch;
  return {
    capacity: {
      cpu,
      memory: `${memKi}Ki`,
      'ephemeral-storage': `${diskKi}Ki`,
      pods: String(MAX_PODS),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
    },
    allocatable: {
      cpu,
      memory: `${Math.max(0, memKi - EVICTION_MEMORY_BYTES / 1024)}Ki`,
      'ephemeral-storage': String(Math.floor(d.total * (1 - EVICTION_NODEFS_FRACTION))),
      pods: String(MAX_PODS),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
    },
    addresses: [
      { type: 'InternalIP', address: facts.hostIP },
      { type: 'Hostname', address: facts.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.port } },
    nodeInfo: {
      machineID: readOr('/etc/machine-id', ''),
      systemUUID: readOr('/sys/class/dmi/id/product_uuid', readOr('/etc/machine-id', '')),
      bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: `${facts.runtime.name}://${facts.runtime.version}`,
      kubeletVersion: facts.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch,
    },
  };
}

/** The IPv4 address of the interface with the default route, else the first one, else loopback. */
export function defaultHostIP(): string {
  const routes = readOr('/proc/net/route', '').split('\n').slice(1);
  const defaultIface = routes.map((l) => l.split('\t')).find((f) => f[1] === '00000000')?.[0];
  const ifaces = os.networkInterfaces();
  const viaDefault = defaultIface
    ? ifaces[defaultIface]?.find((a) => a.family === 'IPv4')
    : undefined;
  if (viaDefault) return viaDefault.address;
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return '127.0.0.1';
}
