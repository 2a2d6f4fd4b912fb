import type { KubeObject } from '../../api/index.ts';
import type { Logger, RestClient } from '../../client/index.ts';
import type { Expectations } from '../expectations/index.ts';
import type { KindInfo } from './kinds.ts';

// What claiming and managing pods need from the controller that runs them.

/** The API calls the controller makes (tests hand in a recording fake). */
export type ReplicaSetClient = Pick<RestClient, 'get' | 'create' | 'update' | 'patch' | 'delete'>;

/** Where events go: an EventRecorder, or a test's list. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface SyncContext {
  client: ReplicaSetClient;
  info: KindInfo;
  events: EventSink;
  expectations: Expectations;
  log: Logger;
  /** Most pods created or deleted in one sync (kube's BurstReplicas). */
  burstReplicas: number;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
