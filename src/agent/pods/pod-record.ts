import { createHash } from 'node:crypto';
import type { Container, Pod } from '../k8s-types.ts';
import type { ContainerStatus, SandboxStatus } from '../runtime/types.ts';

// What the agent knows about one pod on its node: the newest spec it saw and what runs
// for it. The record outlives the API object: a pod deleted from the API keeps its record
// until everything of it is stopped and removed.

export interface PodRecord {
  uid: string;
  pod: Pod;
  /** The API object is gone (deleted, or bound elsewhere): tear everything down. */
  removed: boolean;
  sandbox?: SandboxStatus;
  /** Runtime containers by container name, newest attempt first. */
  containers: Map<string, ContainerStatus[]>;
  /** Why a container is not running, as the agent decided (back-off, pull errors, …). */
  waiting: Map<string, { reason: string; message?: string }>;
  startTime: string;
  initDone: boolean;
  failure?: { reason: string; message: string };
  volumesReady: boolean;
  /** The status last written, to skip writes that change nothing. */
  lastStatus?: string;
  /** Everything is stopped (terminal or terminating pod). */
  stopped: boolean;
  /**
   * Image checks begun while the sandbox was being made, by `<policy> <image>`: the first
   * start of a container takes its check from here instead of asking the runtime again.
   */
  imageChecks?: Map<string, Promise<string>>;
  /** Exited containers' messages with their termination messages, by container id. */
  exitMessages: Map<string, string>;
}

export function newPodRecord(pod: Pod, now: string): PodRecord {
  return {
    uid: pod.metadata!.uid!,
    pod,
    removed: false,
    containers: new Map(),
    waiting: new Map(),
    startTime: pod.status?.startTime ?? now,
    initDone: false,
    volumesReady: false,
    stopped: false,
    exitMessages: new Map(),
  };
}

export function latest(record: PodRecord, name: string): ContainerStatus | undefined {
  return record.containers.get(name)?.[0];
}

/** Puts a container's newest known status in the record, keeping attempts newest first. */
export function noteContainer(record: PodRecord, status: ContainerStatus): void {
  const list = record.containers.get(status.name) ?? [];
  const at = list.findIndex((c) => c.id === status.id);
  if (at >= 0) list[at] = status;
  else list.push(status);
  list.sort((a, b) => b.attempt - a.attempt || b.createdAt.getTime() - a.createdAt.getTime());
  record.containers.set(status.name, list);
}

export function allContainers(record: PodRecord): ContainerStatus[] {
  return [...record.containers.values()].flat();
}

/** The hash a container is created with: a changed spec (a new image) means a restart. */
export function containerHash(container: Container): string {
  const { resources: _ignored, ...rest } = container;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

export function podLabel(pod: Pod): string {
  return `${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`;
}

export function gracePeriodSeconds(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}
