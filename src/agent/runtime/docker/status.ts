import type Docker from 'dockerode';
import { RuntimeLabels, type ContainerStatus, type SandboxStatus } from '../types.ts';
import { attachedPorts } from './config.ts';

// The engine's view of a container mapped to the runtime's statuses, with dockershim's
// rules for the state and reason of a container that is not running.

const ZERO_TIME = '0001-01-01T00:00:00Z';

function time(value: string | undefined): Date | undefined {
  if (!value || value === ZERO_TIME) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function containerStatus(
  info: Docker.ContainerInspectInfo,
  imageRef: string,
): ContainerStatus {
  const labels = info.Config.Labels ?? {};
  const state = info.State;
  const finishedAt = time(state.FinishedAt);
  const base: ContainerStatus = {
    id: info.Id,
    sandboxId: labels[RuntimeLabels.sandbox] ?? '',
    podUid: labels[RuntimeLabels.podUid] ?? '',
    podName: labels[RuntimeLabels.podName] ?? '',
    namespace: labels[RuntimeLabels.namespace] ?? '',
    name: labels[RuntimeLabels.container] ?? '',
    attempt: Number(labels[RuntimeLabels.attempt] ?? 0),
    hash: labels[RuntimeLabels.hash] ?? '',
    image: info.Config.Image,
    imageRef,
    state: 'created',
    createdAt: new Date(info.Created),
    startedAt: time(state.StartedAt),
  };
  if (state.Running) return { ...base, state: 'running' };
  if (finishedAt) {
    // It ran and exited.
    const reason = state.OOMKilled ? 'OOMKilled' : state.ExitCode === 0 ? 'Completed' : 'Error';
    return {
      ...base,
      state: 'exited',
      finishedAt,
      exitCode: state.ExitCode,
      reason,
      ...(state.Error ? { message: state.Error } : {}),
    };
  }
  if (state.ExitCode !== 0) {
    // It never ran: the engine failed to start its process.
    return {
      ...base,
      state: 'exited',
      exitCode: state.ExitCode,
      reason: 'ContainerCannotRun',
      ...(state.Error ? { message: state.Error } : {}),
    };
  }
  if (state.Status === 'created') return base;
  return { ...base, state: 'unknown' };
}

/** From a `die` event whose container is already gone: what its labels and attributes tell. */
export function statusFromDieEvent(
  id: string,
  attributes: Record<string, string>,
  timeNano: number,
): ContainerStatus {
  const exitCode = Number(attributes.exitCode ?? 0);
  return {
    id,
    sandboxId: attributes[RuntimeLabels.sandbox] ?? '',
    podUid: attributes[RuntimeLabels.podUid] ?? '',
    podName: attributes[RuntimeLabels.podName] ?? '',
    namespace: attributes[RuntimeLabels.namespace] ?? '',
    name: attributes[RuntimeLabels.container] ?? '',
    attempt: Number(attributes[RuntimeLabels.attempt] ?? 0),
    hash: attributes[RuntimeLabels.hash] ?? '',
    image: attributes.image ?? '',
    imageRef: '',
    state: 'exited',
    createdAt: new Date(Math.floor(timeNano / 1e6)),
    finishedAt: new Date(Math.floor(timeNano / 1e6)),
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
  };
}

/** The address wharf attached a sandbox with, by sandbox id. */
export type AttachedAddress = (id: string) => string | undefined;

interface SandboxFacts {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  ip: string | undefined;
  createdAt: Date;
}

/**
 * The engine's address for a sandbox on its network; for one wharf attached, the
 * address it holds (`attached`), and without one the sandbox is not ready: its network
 * was never finished (the agent died half-way) or is gone.
 */
function sandboxOf(f: SandboxFacts, attached: AttachedAddress): SandboxStatus {
  const own = attachedPorts(f.labels) !== undefined;
  const ip = own ? attached(f.id) : f.ip;
  return {
    id: f.id,
    podUid: f.labels[RuntimeLabels.podUid] ?? '',
    podName: f.labels[RuntimeLabels.podName] ?? '',
    namespace: f.labels[RuntimeLabels.namespace] ?? '',
    state: f.running && (!own || ip) ? 'ready' : 'notready',
    ips: ip ? [ip] : [],
    createdAt: f.createdAt,
  };
}

/** A sandbox from an inspect of it, which is cheaper for the engine than a list. */
export function inspectedSandboxStatus(
  info: Docker.ContainerInspectInfo,
  network: string,
  attached: AttachedAddress,
): SandboxStatus {
  return sandboxOf(
    {
      id: info.Id,
      labels: info.Config.Labels ?? {},
      running: info.State.Running,
      ip: info.NetworkSettings?.Networks?.[network]?.IPAddress,
      createdAt: new Date(info.Created),
    },
    attached,
  );
}

/** A sandbox from the engine's container list (`GET /containers/json`). */
export function sandboxStatus(
  item: Docker.ContainerInfo,
  network: string,
  attached: AttachedAddress,
): SandboxStatus {
  return sandboxOf(
    {
      id: item.Id,
      labels: item.Labels ?? {},
      running: item.State === 'running',
      ip: item.NetworkSettings?.Networks?.[network]?.IPAddress,
      createdAt: new Date(item.Created * 1000),
    },
    attached,
  );
}
