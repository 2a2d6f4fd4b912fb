import type { ResourceRegistry } from '../../api/index.ts';
import {
  isNotFound,
  objectKey,
  realClock,
  splitKey,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { COMPLETE, FAILED, isJobFinished } from './conditions.ts';
import { JOBS, type JobClient } from './context.ts';
import { parseTime } from './pods.ts';
import type { Job } from './types.ts';

// The TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job
// with spec.ttlSecondsAfterFinished is deleted, with its pods, that many seconds after its
// Complete or Failed condition was set. Before deleting, the Job is read again from the
// API: a TTL changed meanwhile counts.
//
// As Kubernetes, with Foreground propagation: the Job goes once its pods are gone.
export const TTL_PROPAGATION = 'Foreground';

export interface TtlCaches {
  jobs: StoreReader;
}

export interface TtlControllerOptions {
  clock?: Clock;
}

export class TtlAfterFinishedController {
  readonly #client: JobClient;
  readonly #caches: TtlCaches;
  readonly #factory?: InformerFactory;
  readonly #queue: WorkQueue<string>;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(
    client: JobClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | TtlCaches,
    log: Logger,
    opts: TtlControllerOptions = {},
  ) {
    this.#client = client;
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#queue = new WorkQueue<string>({ clock: this.#clock });
    if ('informerFor' in factory) {
      this.#factory = factory;
      const jobs = factory.informerFor(JOBS);
      const enqueue = (job: Job) => {
        if (!job.metadata?.deletionTimestamp && needsCleanup(job)) this.#queue.add(objectKey(job));
      };
      jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, job) => enqueue(job) });
      this.#caches = { jobs: jobs.store };
    } else {
      this.#caches = factory;
    }
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: 'ttl-after-finished',
    });
  }

  /** processJob: delete the Job once its TTL has expired, or look again when it will. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.#caches.jobs.get(key) as Job | undefined;
    if (!cached) return;
    const left = this.#timeLeft(cached);
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    const { namespace, name } = splitKey(key);
    let fresh: Job;
    try {
      fresh = await this.#client.get<Job>(JOBS, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const freshLeft = this.#timeLeft(fresh);
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return { requeueAfterMs: freshLeft };
    try {
      await this.#client.delete(JOBS, namespace, name, {
        propagationPolicy: TTL_PROPAGATION,
        preconditions: { uid: fresh.metadata?.uid ?? '' },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** ms until the TTL expires (≤ 0: expired); undefined when the Job needs no cleanup. */
  #timeLeft(job: Job): number | undefined {
    if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return undefined;
    const finishedAt = finishTime(job);
    if (finishedAt === undefined) {
      throw new Error(
        `unable to find the time when the Job ${job.metadata?.namespace}/${job.metadata?.name} finished`,
      );
    }
    return finishedAt + job.spec!.ttlSecondsAfterFinished! * 1000 - this.#clock.now();
  }
}

function needsCleanup(job: Job): boolean {
  return job.spec?.ttlSecondsAfterFinished != null && isJobFinished(job);
}

function finishTime(job: Job): number | undefined {
  const cond = job.status?.conditions?.find(
    (c) => (c.type === COMPLETE || c.type === FAILED) && c.status === 'True',
  );
  return parseTime(cond?.lastTransitionTime);
}
