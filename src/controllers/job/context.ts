import type { KubeObject } from '../../api/index.ts';
import type { Clock, Logger, ResourceRef, RestClient } from '../../client/index.ts';
import type { BackoffRecord, BackoffStore } from './backoff.ts';
import type { Expectations, FinalizerExpectations } from './expectations.ts';
import type { Intervals } from './indexes.ts';
import type { Job, JobCondition, Pod } from './types.ts';

// What one sync of a Job works with: the controller's collaborators and the state
// computed along the way (syncJobCtx in job_controller.go).

export const JOBS: ResourceRef = {
  group: 'batch',
  version: 'v1',
  resource: 'jobs',
  namespaced: true,
};
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

/** The API calls the Job controllers make. */
export type JobClient = Pick<RestClient, 'get' | 'create' | 'update' | 'patch' | 'delete'>;

/** Where events go: an EventRecorder, or a fake in tests. */
export interface Recorder {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface JobDeps {
  client: JobClient;
  recorder: Recorder;
  clock: Clock;
  log: Logger;
  expectations: Expectations;
  finalizerExpectations: FinalizerExpectations;
  backoff: BackoffStore;
}

export interface SyncContext {
  key: string;
  /** A private copy of the Job: the one the status is written from. */
  job: Job;
  /** Pods from the cache: shared, never to be mutated. */
  pods: Pod[];
  activePods: Pod[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  expectedRmFinalizers: Set<string>;
  finishedCondition?: JobCondition;
  newBackoffRecord: BackoffRecord;
  prevSucceededIndexes: Intervals;
  succeededIndexes: Intervals;
  /** The soonest time (ms from now) this Job must be looked at again. */
  requeueAfterMs?: number;
}

export function requeue(ctx: SyncContext, ms: number): void {
  const after = Math.max(0, ms);
  ctx.requeueAfterMs =
    ctx.requeueAfterMs === undefined ? after : Math.min(ctx.requeueAfterMs, after);
}

export function completionsOf(job: Job): number | undefined {
  const c = job.spec?.completions;
  return typeof c === 'number' ? c : undefined;
}

export function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function uidOf(obj: KubeObject): string {
  return obj.metadata?.uid ?? '';
}
