import { rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock } from '../../client/index.ts';
import { JobController } from './controller.ts';
import {
  recordingClient,
  recordingRecorder,
  seededStore,
  silent,
  type Call,
} from './test-support.ts';
import type { Job, JobStatus, Pod } from './types.ts';

// Jobs and pods to seed the caches of the Job controller's tests with (tests only).

export const NOW = Date.parse('2025-01-01T12:00:00Z');
export const UID = 'uid-job';
export const TRACKING = 'batch.kubernetes.io/job-tracking';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function job(spec: Json = {}, status: JobStatus = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'ns', uid: UID, generation: 1, resourceVersion: '5' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } },
      template: {
        metadata: {
          labels: { 'batch.kubernetes.io/controller-uid': UID, 'job-name': 'pi' },
        },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
        },
      },
      ...spec,
    },
    status,
  };
}

export interface PodOpts {
  phase?: string;
  finalizer?: boolean;
  ready?: boolean;
  index?: number;
  finishedAt?: number;
  deleted?: boolean;
  restarts?: number;
  exitCode?: number;
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const terminated = o.finishedAt !== undefined || o.exitCode !== undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '9',
      creationTimestamp: rfc3339(NOW - 60_000),
      labels: { 'batch.kubernetes.io/controller-uid': UID },
      ...(o.index !== undefined
        ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(o.index) } }
        : {}),
      ...(o.finalizer === false ? {} : { finalizers: [TRACKING] }),
      ...(o.deleted ? { deletionTimestamp: rfc3339(NOW) } : {}),
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: UID, controller: true },
      ],
    },
    spec: { nodeName: 'n1' },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'main',
          restartCount: o.restarts ?? 0,
          state: terminated
            ? {
                terminated: {
                  exitCode: o.exitCode ?? 0,
                  finishedAt: rfc3339(o.finishedAt ?? NOW - 1000),
                },
              }
            : {},
        },
      ],
    },
  };
}

export function setup(jobs: Job[], pods: Pod[], objects: Record<string, KubeObject> = {}) {
  const jobStore = seededStore(jobs);
  const podStore = seededStore(pods);
  const { client, calls } = recordingClient({ 'jobs/pi': jobs[0]!, ...objects });
  const { recorder, events } = recordingRecorder();
  const clock = new FakeClock(NOW);
  const controller = new JobController(
    client,
    undefined,
    { jobs: jobStore.store, pods: podStore.store },
    silent,
    { clock, recorder },
  );
  return { controller, calls, events, clock, jobStore, podStore };
}

export const statusWrites = (calls: Call[]) =>
  calls.filter((c) => c.subresource === 'status').map((c) => c.body!.status as Json);
export const created = (calls: Call[]) =>
  calls.filter((c) => c.verb === 'create').map((c) => c.body!);
