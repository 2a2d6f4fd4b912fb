import { setMaxListeners } from 'node:events';
import { InformerFactory, type Logger, type RestClient } from '../client/index.ts';
import { defaultFilterPlugins, defaultScorePlugins, failureMessage } from './plugins/index.ts';
import { Scheduler } from './scheduler.ts';

export { Scheduler, SCHEDULER_NAME, type SchedulerPlugins } from './scheduler.ts';
export { SchedulerCache } from './cache.ts';
export { SchedulingQueue } from './queue.ts';
export { schedulePod, numFeasibleNodesToFind } from './core/schedule-pod.ts';

/** Runs the default scheduler until `signal` aborts. */
export async function runScheduler(
  client: RestClient,
  log: Logger,
  host: string,
  signal: AbortSignal,
): Promise<Scheduler> {
  setMaxListeners(0, signal);
  const factory = new InformerFactory(client, { logger: log });
  const scheduler = new Scheduler(
    client,
    factory,
    { filters: defaultFilterPlugins(), scores: defaultScorePlugins(), failureMessage },
    log,
    host,
  );
  factory.start(signal);
  await scheduler.run(signal);
  await factory.stop();
  return scheduler;
}
