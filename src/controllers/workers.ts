import type { EventRecorder, InformerFactory, Logger, WorkQueue } from '../client/index.ts';

// The worker loop every controller runs (sample-controller's processNextWorkItem): take a
// key, reconcile it, forget its back-off on success, re-queue it rate-limited on failure,
// and always mark it done so the queue may hand it out again.
//
// How long a failing key is retried is each controller's choice, as in
// kube-controller-manager: most (ReplicaSet, DaemonSet, Job, CronJob, GC, namespace, …)
// retry forever with the queue's back-off; Deployment, Endpoints and EndpointSlice give a
// key up after `maxRetries` (15) failures in a row (their handleErr), log it, and forget
// its back-off, so that only a new event or resync brings it back.

/** What a reconcile may ask for besides success: look again after `requeueAfterMs`. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface RetryPolicy {
  /**
   * Failures (counted by the queue's rate limiter) after which a key is dropped: the
   * key is re-queued while `queue.numRequeues(key) < maxRetries`. Unset: retry forever.
   */
  maxRetries?: number;
}

export async function runWorkers<T>(
  queue: WorkQueue<T>,
  workers: number,
  reconcile: (item: T) => Promise<ReconcileResult | void>,
  log: Logger,
  controller: string,
  policy: RetryPolicy = {},
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const item = await queue.get();
      if (item === undefined) return;
      try {
        const result = await reconcile(item);
        queue.forget(item);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(item, result.requeueAfterMs);
      } catch (err) {
        handleError(queue, item, err, log, controller, policy);
      } finally {
        queue.done(item);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

function handleError<T>(
  queue: WorkQueue<T>,
  item: T,
  err: unknown,
  log: Logger,
  controller: string,
  { maxRetries }: RetryPolicy,
): void {
  const retries = queue.numRequeues(item);
  if (maxRetries === undefined || retries < maxRetries) {
    log.warn(
      { err, item, controller, retries },
      `${controller}: reconcile failed; retrying with back-off`,
    );
    queue.addRateLimited(item);
    return;
  }
  log.error(
    { err, item, controller, retries },
    `${controller}: reconcile failed ${retries + 1} times; dropping the key out of the queue`,
  );
  queue.forget(item);
}

export interface ControllerRun<T> {
  /** The informers to wait for; unset when a test handed in its own caches. */
  factory?: InformerFactory;
  queue: WorkQueue<T>;
  workers: number;
  reconcile: (item: T) => Promise<ReconcileResult | void>;
  log: Logger;
  name: string;
  retry?: RetryPolicy;
  /** Once the caches have synced, before the workers start. */
  started?: () => void;
  /** The controller's own recorder (not one handed in): flushed and closed at the end. */
  events?: EventRecorder;
}

/**
 * A controller's run(): waits for its caches, runs workers until `signal` aborts (which
 * shuts the queue down), then writes its last events (for up to 2 s) while the client
 * is still open.
 */
export async function runController<T>(signal: AbortSignal, run: ControllerRun<T>): Promise<void> {
  try {
    if (run.factory && !(await run.factory.waitForSync(signal))) return;
    signal.addEventListener('abort', () => run.queue.shutDown(), { once: true });
    run.started?.();
    await runWorkers(run.queue, run.workers, run.reconcile, run.log, run.name, run.retry);
  } finally {
    await run.events?.shutdown();
  }
}
