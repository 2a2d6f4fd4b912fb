import type { KubeObject } from '../../api/index.ts';
import type { Clock, Logger, RestClient, StoreReader } from '../../client/index.ts';
import type { Backoff } from './backoff.ts';
import type { Expectations } from '../expectations/index.ts';

// What one sync of a DaemonSet needs from the controller that runs it.

/** The API calls the controller makes (tests hand in a recording fake). */
export type DaemonSetClient = Pick<RestClient, 'get' | 'create' | 'update' | 'patch' | 'delete'>;

/** Where events go: an EventRecorder, or a test's list. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface DaemonSetCaches {
  daemonSets: StoreReader;
  revisions: StoreReader;
  pods: StoreReader;
  nodes: StoreReader;
}

export interface SyncContext {
  client: DaemonSetClient;
  caches: DaemonSetCaches;
  events: EventSink;
  expectations: Expectations;
  /** Failed daemon pods, by `<ds uid>/<observedGeneration>/<node>`. */
  failedPodsBackoff: Backoff;
  clock: Clock;
  log: Logger;
  burstReplicas: number;
  /** Asks for another sync of this DaemonSet after `ms` (enqueueDaemonSetAfter). */
  requeueAfter(ms: number): void;
}
