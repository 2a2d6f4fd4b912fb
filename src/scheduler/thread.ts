import {
  componentThreadData,
  componentThreadRole,
  RestClient,
  runWhileLeading,
  serveComponentThread,
  startComponentThread,
  stderrLogger,
  type ComponentThread,
} from '../client/index.ts';
import { runScheduler } from './index.ts';

// The scheduler on a thread of its own (see client/component-thread.ts), holding the
// scheduler's lease while it runs.

export interface SchedulerThreadOptions {
  server: string;
  token: string;
  caPem: string;
  host: string;
  /** The API server's local socket, when the scheduler runs in its process. */
  socketPath?: string;
}

const ROLE = 'wharf-scheduler';

export function startSchedulerThread(opts: SchedulerThreadOptions): ComponentThread {
  return startComponentThread(ROLE, import.meta.url, 'scheduler-thread.mjs', opts);
}

/** The thread's body: run the scheduler while holding its lease, until told to stop. */
export function schedulerThreadMain(): Promise<void> {
  const opts = componentThreadData<SchedulerThreadOptions>();
  return serveComponentThread(() => {
    const client = new RestClient({
      server: opts.server,
      token: opts.token,
      caPem: opts.caPem,
      userAgent: ROLE,
      ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    });
    const stop = runWhileLeading(client, ROLE, stderrLogger, async (leading) => {
      await runScheduler(client, stderrLogger, opts.host, leading);
    });
    return async () => {
      await stop();
      client.close();
    };
  });
}

// Under tsx the bootstrap imports this file as the thread's entry.
if (componentThreadRole(import.meta.url) === ROLE) void schedulerThreadMain();
