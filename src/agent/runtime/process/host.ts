import { join } from 'node:path';
import { isExecutableFile, SYSTEM_PATH, which } from '../host/index.ts';
import { probeCgroups, type Cgroups } from './cgroups.ts';
import { instanceDirName } from './records.ts';

// What the machine offers the process runtime, found once when a driver opens. Every
// missing piece becomes a note for the node's events (`capabilities().notes`), so an
// operator learns why pods share the host network or run without limits.

export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'] as const;

export interface HostTools {
  sh: string;
  env: string;
  ip?: string;
  nsenter?: string;
  unshare?: string;
  mount?: string;
  script?: string;
  stty?: string;
  fallocate?: string;
  mkfifo?: string;
  /** util-linux: runs a container's command as its runAsUser, groups, no-new-privs. */
  setpriv?: string;
  iptables?: string;
  'iptables-restore'?: string;
}

export interface ProcessHost {
  root: boolean;
  tools: HostTools;
  /** The directory holding the CNI plugins, when all of `CNI_PLUGINS` are there. */
  cniBinDir?: string;
  /** Whether the optional `portmap` plugin is there (hostPort in pod networks). */
  portmap: boolean;
  cgroups?: Cgroups;
  /** Why cgroups cannot be used (as root), for the notes. */
  cgroupProblem?: string;
  podNetwork: 'pod' | 'host';
  /** Mounts at container paths need a mount namespace: root, unshare and mount. */
  mounts: boolean;
  notes: string[];
}

export interface ProbeOptions {
  instance: string;
  podNetwork: 'auto' | 'pod' | 'host';
  cniBinDir?: string;
}

async function findCniBinDir(preferred: string | undefined): Promise<string | undefined> {
  const dirs = preferred ? [preferred] : ['/usr/lib/cni', '/opt/cni/bin'];
  for (const dir of dirs) {
    const found = await Promise.all(CNI_PLUGINS.map((p) => isExecutableFile(join(dir, p))));
    if (found.every(Boolean)) return dir;
  }
  return undefined;
}

export async function probeProcessHost(options: ProbeOptions): Promise<ProcessHost> {
  const root = process.getuid?.() === 0;
  const names = [
    'ip',
    'nsenter',
    'unshare',
    'mount',
    'script',
    'stty',
    'fallocate',
    'mkfifo',
    'setpriv',
    'iptables',
    'iptables-restore',
  ] as const;
  const found = await Promise.all(names.map((n) => which(n)));
  const tools: HostTools = { sh: (await which('sh')) ?? '/bin/sh', env: '/usr/bin/env' };
  tools.env = (await which('env')) ?? tools.env;
  names.forEach((n, i) => (tools[n] = found[i]));
  const cniBinDir = root ? await findCniBinDir(options.cniBinDir) : undefined;
  const portmap = cniBinDir !== undefined && (await isExecutableFile(join(cniBinDir, 'portmap')));
  let cgroups: Cgroups | undefined;
  let cgroupProblem: string | undefined;
  if (root) {
    try {
      cgroups = await probeCgroups(instanceDirName(options.instance));
    } catch (err) {
      cgroupProblem = (err as Error).message;
    }
  }
  const facts = { root, tools, cniBinDir, cgroupProblem, cniDirHint: options.cniBinDir };
  const podNetworkPossible = root && !!cniBinDir && !!tools.ip && !!tools.nsenter;
  if (options.podNetwork === 'pod' && !podNetworkPossible) {
    const why = processRuntimeNotes({ ...facts, cgroups: true }).join('; ');
    throw new Error(`the process runtime cannot give pods their own network: ${why}`);
  }
  const podNetwork = options.podNetwork !== 'host' && podNetworkPossible ? 'pod' : 'host';
  const notes = processRuntimeNotes({ ...facts, cgroups: !!cgroups });
  if (options.podNetwork === 'host' && podNetworkPossible) {
    notes.unshift('pods share the host network (podNetwork: host was configured)');
  }
  const mounts = root && !!tools.unshare && !!tools.mount;
  return { root, tools, cniBinDir, portmap, cgroups, cgroupProblem, podNetwork, mounts, notes };
}

export interface NoteFacts {
  root: boolean;
  tools: HostTools;
  cniBinDir?: string;
  cniDirHint?: string;
  cgroups: boolean;
  cgroupProblem?: string;
}

/**
 * Why the process runtime lacks a pod network, limits or mounts on this host, one
 * sentence each (empty when nothing is missing). Pure, for the agent's node events.
 */
export function processRuntimeNotes(facts: NoteFacts): string[] {
  const notes: string[] = [];
  if (!facts.root) {
    notes.push(
      'pods share the host network: the process runtime is not running as root, so it cannot create network namespaces',
      'cpu and memory limits are not enforced: cgroups need root',
      'volume mounts are unsupported except where hostPath equals the container path: bind mounts need root',
      "pods use the node's /etc/resolv.conf and /etc/hosts (dnsPolicy and dnsConfig are not applied): files of their own need a mount namespace, which needs root",
    );
    return notes;
  }
  const missing = (['ip', 'nsenter'] as const).filter((t) => !facts.tools[t]);
  if (!facts.cniBinDir) {
    const where = facts.cniDirHint ?? '/usr/lib/cni or /opt/cni/bin';
    notes.push(
      `pods share the host network: CNI plugins (${CNI_PLUGINS.join(', ')}) not found in ${where}`,
    );
  } else if (missing.length > 0) {
    notes.push(`pods share the host network: ${missing.join(' and ')} not found in ${SYSTEM_PATH}`);
  } else if (!facts.tools.iptables || !facts.tools['iptables-restore']) {
    notes.push(
      `pods cannot reach beyond the node: iptables and iptables-restore, which masquerade their traffic, not found in ${SYSTEM_PATH}`,
    );
  }
  if (!facts.cgroups) {
    notes.push(`cpu and memory limits are not enforced: ${facts.cgroupProblem ?? 'no cgroups'}`);
  }
  if (!facts.tools.unshare || !facts.tools.mount) {
    notes.push(
      "volume mounts are unsupported, and pods use the node's /etc/resolv.conf and /etc/hosts: unshare and mount (util-linux) not found",
    );
  }
  if (!facts.tools.script)
    notes.push(
      'exec with a TTY and containers with tty: true are unsupported: script (util-linux) not found',
    );
  return notes;
}
