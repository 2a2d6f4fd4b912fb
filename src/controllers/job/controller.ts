import os from 'node:os';
import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import { matchesLabels, selectorFromSpec } from '../../api/selectors/index.ts';
import {
  EventRecorder,
  ItemExponentialRateLimiter,
  isConflict,
  isNotFound,
  objectKey,
  realClock,
  splitKey,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { BackoffStore } from './backoff.ts';
import { isJobFinished } from './conditions.ts';
import { JOBS, PODS, uidOf, type JobClient, type JobDeps, type Recorder } from './context.ts';
import { Expectations, FinalizerExpectations } from './expectations.ts';
import { SYNC_BATCH_PERIOD_MS } from './manage.ts';
import { ensureNamespaceIndex, BY_NAMESPACE } from './namespace-index.ts';
import { getPodsForJob } from './pods-for-job.ts';
import {
  controllerRefOf,
  hasTrackingFinalizer,
  parseTime,
  REMOVE_FINALIZER_PATCH,
} from './pods.ts';
import { JOB_CONTROLLER_NAME, syncJob } from './sync.ts';
import type { Job, Pod } from './types.ts';

// The Job controller of kube-controller-manager (pkg/controller/job). Work items:
//   job:<ns>/<name>  sync a Job: create and delete its pods, count finished ones, set
//                    its conditions (on changes to the Job or its pods; batched by 1 s)
//   pod:<ns>/<name>  remove the tracking finalizer from a pod whose Job is gone or
//                    finished, so that the pod can be deleted

type Work = `${'job' | 'pod'}:${string}`;

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface JobCaches {
  jobs: StoreReader;
  pods: StoreReader;
}

export interface JobControllerOptions {
  clock?: Clock;
  /** Default: events written through the client as `job-controller`. */
  recorder?: Recorder;
}

export class JobController {
  readonly #caches: JobCaches;
  readonly #factory?: InformerFactory;
  readonly #queue: WorkQueue<Work>;
  readonly #deps: JobDeps;

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: JobClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | JobCaches,
    log: Logger,
    opts: JobControllerOptions = {},
  ) {
    const clock = opts.clock ?? realClock;
    // kube's job queues back off from DefaultJobApiBackOff (1 s) to MaxJobApiBackOff
    // (1 min), without the overall bucket: a Job's sync is costly and 1000 s too long.
    const rateLimiter = new ItemExponentialRateLimiter<Work>(1000, 60_000);
    this.#queue = new WorkQueue<Work>({ clock, rateLimiter });
    this.#deps = {
      client,
      clock,
      log,
      recorder:
        opts.recorder ??
        (this.#ownEvents = new EventRecorder(
          client as RestClient,
          'job-controller',
          os.hostname(),
          log,
        )),
      expectations: new Expectations(() => clock.now()),
      finalizerExpectations: new FinalizerExpectations(),
      backoff: new BackoffStore(),
    };
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureNamespaceIndex(this.#caches.jobs);
    ensureNamespaceIndex(this.#caches.pods);
  }

  #watch(factory: InformerFactory): JobCaches {
    const jobs = factory.informerFor(JOBS);
    const pods = factory.informerFor(PODS);
    ensureNamespaceIndex(jobs.store);
    ensureNamespaceIndex(pods.store);
    jobs.addEventHandler({
      onAdd: (job) => this.#enqueueJob(job, 0),
      onUpdate: (old, job) => this.#jobUpdated(old as Job, job as Job),
      onDelete: (job) => {
        this.#enqueueJob(job, 0);
        this.#cleanupPodFinalizers(job as Job);
      },
    });
    pods.addEventHandler({
      onAdd: (pod) => this.#podAdded(pod as Pod),
      onUpdate: (old, pod) => this.#podUpdated(old as Pod, pod as Pod),
      onDelete: (pod) => this.#podDeleted(pod as Pod, true),
    });
    return { jobs: jobs.store, pods: pods.store };
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (item) => this.reconcile(item),
      log: this.#deps.log,
      name: 'job',
      events: this.#ownEvents,
    });
  }

  /** One work item; exported for tests, which call it with seeded caches. */
  async reconcile(item: Work): Promise<ReconcileResult | void> {
    const key = item.slice(4);
    if (item.startsWith('pod:')) return this.#syncOrphanPod(key);
    const job = this.#caches.jobs.get(key) as Job | undefined;
    if (!job) {
      this.#deps.expectations.delete(key);
      this.#deps.finalizerExpectations.delete(key);
      this.#deps.backoff.remove(key);
      return;
    }
    try {
      const candidates = this.#podsIn(job.metadata?.namespace ?? '');
      const pods = await getPodsForJob(this.#deps, job, candidates);
      const after = await syncJob(this.#deps, key, job, pods);
      if (after !== undefined) return { requeueAfterMs: after };
    } catch (err) {
      // The Job changed after our cache saw it: the informer's event for that change
      // brings it round again, so this is no failure to retry with back-off.
      if (!isConflict(err)) throw err;
      this.#deps.log.info({ job: key }, 'job: status was stale; waiting for the newer Job');
    }
  }

  #podsIn(namespace: string): Pod[] {
    return this.#caches.pods.byIndex(BY_NAMESPACE, namespace) as Pod[];
  }

  #enqueueJob(job: KubeObject, delayMs: number): void {
    this.#queue.addAfter(`job:${objectKey(job)}`, delayMs);
  }

  #jobUpdated(old: Job, job: Job): void {
    // Spec changes sync at once; status changes (mostly our own) are batched.
    const specChanged = old.metadata?.generation !== job.metadata?.generation;
    this.#enqueueJob(job, specChanged ? 0 : SYNC_BATCH_PERIOD_MS);
    if (isJobFinished(job)) this.#cleanupPodFinalizers(job);
    const started = parseTime(job.status?.startTime);
    const deadline = job.spec?.activeDeadlineSeconds;
    if (started !== undefined && deadline !== undefined) {
      if (old.spec?.activeDeadlineSeconds !== deadline) {
        this.#enqueueJob(job, deadline * 1000 - (this.#deps.clock.now() - started));
      }
    }
  }

  /** The Job a controller reference names, if it is in the cache with that uid. */
  #resolve(namespace: string, pod: Pod): Job | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = this.#caches.jobs.get(`${namespace}/${ref.name}`) as Job | undefined;
    return job && uidOf(job) === ref.uid ? job : undefined;
  }

  #jobsSelecting(pod: Pod): Job[] {
    const ns = pod.metadata?.namespace ?? '';
    return (this.#caches.jobs.byIndex(BY_NAMESPACE, ns) as Job[]).filter((job) => {
      const selector = job.spec?.selector;
      return (
        selector !== undefined && matchesLabels(selectorFromSpec(selector), pod.metadata?.labels)
      );
    });
  }

  #podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod, false);
    const ns = pod.metadata?.namespace ?? '';
    if (controllerRefOf(pod)) {
      const job = this.#resolve(ns, pod);
      if (!job) return;
      this.#deps.expectations.creationObserved(objectKey(job));
      return this.#enqueueJob(job, SYNC_BATCH_PERIOD_MS);
    }
    if (hasTrackingFinalizer(pod)) this.#queue.add(`pod:${objectKey(pod)}`);
    for (const job of this.#jobsSelecting(pod)) this.#enqueueJob(job, SYNC_BATCH_PERIOD_MS);
  }

  #podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp) return this.#podDeleted(pod, false);
    const ns = pod.metadata?.namespace ?? '';
    const finalizerRemoved = !hasTrackingFinalizer(pod);
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(pod);
    const refChanged = JSON.stringify(oldRef) !== JSON.stringify(ref);
    const touch = (job: Job | undefined) => {
      if (!job) return;
      if (finalizerRemoved)
        this.#deps.finalizerExpectations.removalObserved(objectKey(job), uidOf(pod));
      this.#enqueueJob(job, SYNC_BATCH_PERIOD_MS);
    };
    if (refChanged && oldRef) touch(this.#resolve(ns, old));
    if (ref) return touch(this.#resolve(ns, pod));
    if (hasTrackingFinalizer(pod)) this.#queue.add(`pod:${objectKey(pod)}`);
    const labelsChanged =
      JSON.stringify(old.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
    if (labelsChanged || refChanged) {
      for (const job of this.#jobsSelecting(pod)) this.#enqueueJob(job, SYNC_BATCH_PERIOD_MS);
    }
  }

  /** `final`: the pod is gone; otherwise it was just marked for deletion. */
  #podDeleted(pod: Pod, final: boolean): void {
    const hasFinalizer = hasTrackingFinalizer(pod);
    const job = controllerRefOf(pod)
      ? this.#resolve(pod.metadata?.namespace ?? '', pod)
      : undefined;
    if (!job || isJobFinished(job)) {
      // Nobody's sync will remove this finalizer.
      if (hasFinalizer && !final) this.#queue.add(`pod:${objectKey(pod)}`);
      return;
    }
    const key = objectKey(job);
    this.#deps.expectations.deletionObserved(key);
    if (final || !hasFinalizer) this.#deps.finalizerExpectations.removalObserved(key, uidOf(pod));
    this.#enqueueJob(job, SYNC_BATCH_PERIOD_MS);
  }

  /** A finished or deleted Job's pods that still hold the finalizer: release them. */
  #cleanupPodFinalizers(job: Job): void {
    for (const pod of this.#podsIn(job.metadata?.namespace ?? '')) {
      if (controllerRefOf(pod)?.uid === uidOf(job) && hasTrackingFinalizer(pod)) {
        this.#queue.add(`pod:${objectKey(pod)}`);
      }
    }
  }

  /** syncOrphanPod: remove the finalizer unless a live Job (of ours) still controls the pod. */
  async #syncOrphanPod(key: string): Promise<void> {
    const pod = this.#caches.pods.get(key) as Pod | undefined;
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerRefOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.#resolve(pod.metadata?.namespace ?? '', pod);
      const managedBy = job?.spec?.managedBy;
      if (managedBy && managedBy !== JOB_CONTROLLER_NAME) return;
      if (job && !isJobFinished(job)) return;
    }
    const { namespace, name } = splitKey(key);
    try {
      await this.#deps.client.patch(PODS, namespace, name, REMOVE_FINALIZER_PATCH, 'strategic');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
