import {
  componentThreadRole,
  serveComponentThread,
  startComponentThread,
  stderrLogger,
  type ComponentConnection,
  type ComponentThread,
} from '../client/index.ts';
import { runScheduler } from './index.ts';

// The scheduler on a thread of its own (see client/component-thread.ts), holding the
// scheduler's lease while it runs.

export interface SchedulerThreadOptions extends ComponentConnection {
  host: string;
}

const ROLE = 'wharf-scheduler';

export function startSchedulerThread(opts: SchedulerThreadOptions): ComponentThread {
  return startComponentThread(ROLE, import.meta.url, 'scheduler-thread.mjs', opts);
}

/** The thread's body: run the scheduler while holding its lease, until told to stop. */
export function schedulerThreadMain(): Promise<void> {
  return serveComponentThread<SchedulerThreadOptions>(ROLE, async (client, opts, leading) => {
    await runScheduler(client, stderrLogger, opts.host, leading);
  });
}

// Under tsx the bootstrap imports this file as the thread's entry.
if (componentThreadRole(import.meta.url) === ROLE) void schedulerThreadMain();
