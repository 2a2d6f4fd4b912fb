import type { Logger, WorkQueue } from '../client/index.ts';

// The worker loop every controller runs (sample-controller's processNextWorkItem): take a
// key, reconcile it, forget its back-off on success, re-queue it rate-limited on failure,
// and always mark it done so the queue may hand it out again.

/** What a reconcile may ask for besides success: look again after `requeueAfterMs`. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export async function runWorkers<T>(
  queue: WorkQueue<T>,
  workers: number,
  reconcile: (item: T) => Promise<ReconcileResult | void>,
  log: Logger,
  controller: string,
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
        log.warn(
          { err, item, controller },
          `${controller}: reconcile failed; retrying with back-off`,
        );
        queue.addRateLimited(item);
      } finally {
        queue.done(item);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}
