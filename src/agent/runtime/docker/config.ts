import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { engineSecurity, SANDBOX_SECURITY_OPT } from './security.ts';
import {
  RuntimeLabels,
  type ContainerResources,
  type ContainerSpec,
  type Mount,
  type PortMapping,
  type SandboxSpec,
} from '../types.ts';

// Pure translations of the runtime's specs into the engine's create bodies, as kubelet's
// dockershim made them. No I/O here, so every rule is testable without an engine.

export const KIND_SANDBOX = 'sandbox';
export const KIND_CONTAINER = 'container';

/**
 * On a sandbox whose namespace wharf attaches (the engine's networking off), with the
 * hostPorts it mapped, which a teardown must be given again.
 */
export const LABEL_ATTACHED_PORTS = 'dev.wharf.network.attached-ports';

const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } };
const CPU_PERIOD = 100_000;
const MIN_SHARES = 2;
const MIN_QUOTA = 1_000;

/** Kubernetes' `command`/`args` over the image's Entrypoint/Cmd. */
export function entrypointAndCmd(
  command: string[],
  args: string[],
): { Entrypoint?: string[]; Cmd?: string[] } {
  // A set Entrypoint makes the engine drop the image's Cmd, so `command` alone runs alone.
  if (command.length > 0) return { Entrypoint: command, ...(args.length ? { Cmd: args } : {}) };
  return args.length > 0 ? { Cmd: args } : {};
}

/** cpu.shares as kubelet computes them: requests (or limits) in millicores, at least 2. */
export function cpuShares(resources: ContainerResources): number {
  const millis = resources.cpuRequestMillis ?? resources.cpuLimitMillis;
  if (millis === undefined) return MIN_SHARES;
  return Math.max(MIN_SHARES, Math.floor((millis * 1024) / 1000));
}

function resourceLimits(resources: ContainerResources): Docker.HostConfig {
  const limits: Docker.HostConfig = { CpuShares: cpuShares(resources) };
  if (resources.cpuLimitMillis !== undefined) {
    limits.CpuPeriod = CPU_PERIOD;
    limits.CpuQuota = Math.max(
      MIN_QUOTA,
      Math.floor((resources.cpuLimitMillis * CPU_PERIOD) / 1000),
    );
  }
  if (resources.memoryLimitBytes !== undefined) {
    // No swap on top, as kubelet: a container over its limit is OOM-killed, not swapped.
    limits.Memory = resources.memoryLimitBytes;
    limits.MemorySwap = resources.memoryLimitBytes;
  }
  return limits;
}

/** `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>_<random>`, like dockershim's names. */
function containerName(
  container: string,
  spec: { podName: string; namespace: string; podUid: string },
  attempt: number,
) {
  const suffix = randomBytes(3).toString('hex');
  return `k8s_${container}_${spec.podName}_${spec.namespace}_${spec.podUid}_${attempt}_${suffix}`;
}

/** The hostPorts a sandbox wharf attached was given, from its label. */
export function attachedPorts(
  labels: Record<string, string> | undefined,
): PortMapping[] | undefined {
  const value = labels?.[LABEL_ATTACHED_PORTS];
  if (value === undefined) return undefined;
  try {
    const ports: unknown = JSON.parse(value);
    return Array.isArray(ports) ? (ports as PortMapping[]) : [];
  } catch {
    return [];
  }
}

/**
 * `attached`: the engine gives the sandbox a namespace with only `lo` and wharf attaches
 * it (podnet/netns-attacher.ts), with no engine networking (NetworkDisabled), so no
 * published ports, DNS files or the engine's per-container network hook either.
 */
export function sandboxCreateOptions(
  spec: SandboxSpec,
  options: { instance: string; network: string; image: string; attached?: boolean },
): Docker.ContainerCreateOptions {
  if (options.attached && !spec.hostNetwork) {
    const hostPorts = spec.ports.filter((p) => p.hostPort);
    return {
      name: containerName('POD', spec, 0),
      Image: options.image,
      Hostname: spec.hostname,
      NetworkDisabled: true,
      Labels: {
        ...sandboxLabels(spec, options.instance),
        [LABEL_ATTACHED_PORTS]: JSON.stringify(hostPorts),
      },
      HostConfig: {
        IpcMode: 'shareable',
        CpuShares: MIN_SHARES,
        SecurityOpt: SANDBOX_SECURITY_OPT,
        LogConfig: LOG_CONFIG,
        RestartPolicy: { Name: 'no' },
      },
    };
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp?: string; HostPort: string }>> = {};
  for (const port of spec.ports) {
    if (!port.hostPort) continue;
    const key = `${port.containerPort}/${port.protocol.toLowerCase()}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      ...(port.hostIP ? { HostIp: port.hostIP } : {}),
      HostPort: String(port.hostPort),
    });
  }
  return {
    name: containerName('POD', spec, 0),
    Image: options.image,
    ...(spec.hostNetwork ? {} : { Hostname: spec.hostname }),
    ...(spec.hostDomain && !spec.hostNetwork ? { Domainname: spec.hostDomain } : {}),
    Labels: sandboxLabels(spec, options.instance),
    ExposedPorts: exposed,
    HostConfig: {
      NetworkMode: spec.hostNetwork ? 'host' : options.network,
      // The engine writes the sandbox's /etc/hosts, which its containers share: the
      // hostAliases go in there (wharf writes the file itself for sandboxes it attaches).
      ...(spec.hostAliases
        ? { ExtraHosts: spec.hostAliases.flatMap((a) => a.hostnames.map((h) => `${h}:${a.ip}`)) }
        : {}),
      PortBindings: bindings,
      // Containers join the sandbox's IPC namespace, which it must offer.
      IpcMode: 'shareable',
      ...(spec.dns
        ? { Dns: spec.dns.servers, DnsSearch: spec.dns.searches, DnsOptions: spec.dns.options }
        : {}),
      CpuShares: MIN_SHARES,
      SecurityOpt: SANDBOX_SECURITY_OPT,
      LogConfig: LOG_CONFIG,
      RestartPolicy: { Name: 'no' },
    },
  };
}

function sandboxLabels(spec: SandboxSpec, instance: string): Record<string, string> {
  return {
    [RuntimeLabels.instance]: instance,
    [RuntimeLabels.kind]: KIND_SANDBOX,
    [RuntimeLabels.podUid]: spec.podUid,
    [RuntimeLabels.podName]: spec.podName,
    [RuntimeLabels.namespace]: spec.namespace,
  };
}

/** What a container needs of its sandbox; `mounts`: its /etc files, when wharf attached it. */
export interface SandboxRef {
  id: string;
  hostname: string;
  mounts: Mount[];
}

export function containerCreateOptions(
  spec: ContainerSpec,
  sandbox: SandboxRef,
  options: { instance: string; image: string; imageUser?: string },
): Docker.ContainerCreateOptions {
  const security = engineSecurity(spec.security, options.imageUser);
  const env = spec.env.map((e) => `${e.name}=${e.value}`);
  // The engine cannot set a hostname on a container that joins another's network
  // namespace, and would put the sandbox's in HOSTNAME only by accident: say it outright.
  if (!spec.env.some((e) => e.name === 'HOSTNAME')) env.unshift(`HOSTNAME=${sandbox.hostname}`);
  return {
    name: containerName(spec.name, spec, spec.attempt),
    Image: options.image,
    ...entrypointAndCmd(spec.command, spec.args),
    ...(security.User !== undefined ? { User: security.User } : {}),
    Env: env,
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    Tty: spec.tty,
    OpenStdin: spec.stdin,
    StdinOnce: spec.stdinOnce,
    AttachStdin: spec.stdin,
    Labels: {
      [RuntimeLabels.instance]: options.instance,
      [RuntimeLabels.kind]: KIND_CONTAINER,
      [RuntimeLabels.sandbox]: sandbox.id,
      [RuntimeLabels.podUid]: spec.podUid,
      [RuntimeLabels.podName]: spec.podName,
      [RuntimeLabels.namespace]: spec.namespace,
      [RuntimeLabels.container]: spec.name,
      [RuntimeLabels.attempt]: String(spec.attempt),
      [RuntimeLabels.hash]: spec.hash,
    },
    HostConfig: {
      NetworkMode: `container:${sandbox.id}`,
      IpcMode: spec.hostIPC ? 'host' : `container:${sandbox.id}`,
      ...pidMode(spec, sandbox),
      Mounts: [
        // The container's own mount of a path wins over the pod's /etc file there.
        ...sandbox.mounts.filter(
          (m) => !spec.mounts.some((s) => s.containerPath === m.containerPath),
        ),
        ...spec.mounts,
      ].map((m) => ({
        Type: 'bind' as const,
        Source: m.hostPath,
        Target: m.containerPath,
        ReadOnly: m.readOnly,
      })),
      ...resourceLimits(spec.resources),
      ...security.HostConfig,
      LogConfig: LOG_CONFIG,
      RestartPolicy: { Name: 'no' },
    },
  };
}

/**
 * The host's process namespace (hostPID), the sandbox's for a pod that shares one, a
 * target's for its debugger.
 */
function pidMode(spec: ContainerSpec, sandbox: SandboxRef): { PidMode?: string } {
  const ns = spec.processNamespace;
  if (!ns) return {};
  if ('host' in ns) return { PidMode: 'host' };
  return { PidMode: `container:${'pod' in ns ? sandbox.id : ns.containerId}` };
}
