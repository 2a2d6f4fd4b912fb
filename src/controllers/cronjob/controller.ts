import os from 'node:os';
import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import {
  EventRecorder,
  objectKey,
  realClock,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import type { JobClient, Recorder } from '../job/context.ts';
import { BY_NAMESPACE, ensureNamespaceIndex } from '../job/namespace-index.ts';
import { controllerRefOf } from '../job/pods.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { parseSchedule, systemZone } from './schedule.ts';
import { CRONJOBS, JOBS, syncCronJob, type CronJobDeps } from './sync.ts';
import { formatSchedule, nextScheduleTimeDuration } from './times.ts';
import type { CronJob, Job } from './types.ts';

// The CronJob controller of kube-controller-manager (cronjob_controllerv2.go): one work
// item per CronJob, looked at when it or one of its Jobs changes and again at its next
// activation, where it creates that activation's Job, honouring concurrencyPolicy,
// startingDeadlineSeconds and suspend, and removes finished Jobs beyond the history limits.

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface CronJobCaches {
  cronJobs: StoreReader;
  jobs: StoreReader;
}

export interface CronJobControllerOptions {
  clock?: Clock;
  /** Default: events written through the client as `cronjob-controller`. */
  recorder?: Recorder;
  /** Where schedules without a time zone run; default this process's zone, as Kubernetes. */
  localTimeZone?: string;
}

export class CronJobController {
  readonly #caches: CronJobCaches;
  readonly #factory?: InformerFactory;
  readonly #queue: WorkQueue<string>;
  readonly #deps: CronJobDeps;

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: JobClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | CronJobCaches,
    log: Logger,
    opts: CronJobControllerOptions = {},
  ) {
    const clock = opts.clock ?? realClock;
    this.#queue = new WorkQueue<string>({ clock });
    this.#deps = {
      client,
      clock,
      log,
      localTimeZone: opts.localTimeZone ?? systemZone(),
      recorder:
        opts.recorder ??
        (this.#ownEvents = new EventRecorder(
          client as RestClient,
          'cronjob-controller',
          os.hostname(),
          log,
        )),
    };
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureNamespaceIndex(this.#caches.jobs);
  }

  #watch(factory: InformerFactory): CronJobCaches {
    const cronJobs = factory.informerFor(CRONJOBS);
    const jobs = factory.informerFor(JOBS);
    ensureNamespaceIndex(jobs.store);
    cronJobs.addEventHandler({
      onAdd: (cj) => this.#queue.add(objectKey(cj)),
      onUpdate: (old, cj) => this.#cronJobUpdated(old as CronJob, cj as CronJob),
      onDelete: (cj) => this.#queue.add(objectKey(cj)),
    });
    jobs.addEventHandler({
      onAdd: (job) => this.#jobChanged(job),
      onUpdate: (old, job) => {
        if (old.metadata?.resourceVersion === job.metadata?.resourceVersion) return;
        const oldRef = controllerRefOf(old);
        if (oldRef && JSON.stringify(oldRef) !== JSON.stringify(controllerRefOf(job))) {
          this.#jobChanged(old);
        }
        this.#jobChanged(job);
      },
      onDelete: (job) => this.#jobChanged(job),
    });
    return { cronJobs: cronJobs.store, jobs: jobs.store };
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#deps.log,
      name: 'cronjob',
      events: this.#ownEvents,
    });
  }

  /** One CronJob; exported for tests, which call it with seeded caches and a fake clock. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const cached = this.#caches.cronJobs.get(key) as CronJob | undefined;
    if (!cached) return;
    const ns = cached.metadata?.namespace ?? '';
    // Every Job whose controller reference names this CronJob, whatever its labels.
    const jobs = (this.#caches.jobs.byIndex(BY_NAMESPACE, ns) as Job[]).filter((job) => {
      const ref = controllerRefOf(job);
      return ref?.kind === 'CronJob' && ref.name === cached.metadata?.name;
    });
    const after = await syncCronJob(this.#deps, cached, jobs);
    if (after !== undefined) return { requeueAfterMs: after };
  }

  #jobChanged(job: KubeObject): void {
    const ref = controllerRefOf(job);
    if (!ref || ref.kind !== 'CronJob') return;
    const key = `${job.metadata?.namespace}/${ref.name}`;
    const cj = this.#caches.cronJobs.get(key);
    if (cj?.metadata?.uid === ref.uid) this.#queue.add(key);
  }

  /** A new schedule or time zone: look again at its next activation; anything else: now. */
  #cronJobUpdated(old: CronJob, cj: CronJob): void {
    const key = objectKey(cj);
    if (old.spec?.schedule === cj.spec?.schedule && old.spec?.timeZone === cj.spec?.timeZone) {
      this.#queue.add(key);
      return;
    }
    let delay: number;
    try {
      const schedule = parseSchedule(formatSchedule(cj), this.#deps.localTimeZone);
      delay = nextScheduleTimeDuration(cj, this.#deps.clock.now(), schedule);
    } catch {
      this.#deps.recorder.event(
        cj,
        'Warning',
        'UnParseableCronJobSchedule',
        `unparseable schedule for cronjob: ${cj.spec?.schedule}`,
      );
      return;
    }
    this.#queue.addAfter(key, delay);
  }
}
