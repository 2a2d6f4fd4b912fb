import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { RestClient, runWhileLeading, stderrLogger } from '../client/index.ts';
import { runScheduler } from './index.ts';

// The scheduler runs on a thread of its own, as kube-scheduler is a process of its own:
// it is only a client of the API server, and on its own thread it uses the machine's
// second core instead of taking turns with the API server. Under the bundle the thread
// runs dist/scheduler-thread.mjs (client and scheduler only); under tsx, a small
// bootstrap registers tsx in the thread first.

export interface SchedulerThreadOptions {
  server: string;
  token: string;
  caPem: string;
  host: string;
  /** The API server's local socket, when the scheduler runs in its process. */
  socketPath?: string;
}

export const SCHEDULER_ROLE = 'wharf-scheduler';

export interface SchedulerThread {
  stop(): Promise<void>;
}

export function startSchedulerThread(opts: SchedulerThreadOptions): SchedulerThread {
  const data = { role: SCHEDULER_ROLE, ...opts };
  const here = import.meta.url;
  const worker = here.endsWith('.ts')
    ? new Worker(new URL('../../scripts/ts-thread.mjs', here), {
        workerData: { ...data, entry: here },
      })
    : new Worker(new URL('./scheduler-thread.mjs', here), { workerData: data });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => stderrLogger.error({ err }, 'BUG: the scheduler thread failed'));
  return {
    async stop() {
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The thread's body: run the scheduler while holding its lease, until told to stop. */
export async function schedulerThreadMain(): Promise<void> {
  const opts = workerData as SchedulerThreadOptions;
  const client = new RestClient({
    server: opts.server,
    token: opts.token,
    caPem: opts.caPem,
    userAgent: 'wharf-scheduler',
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
  });
  const stop = runWhileLeading(client, 'wharf-scheduler', stderrLogger, async (leading) => {
    await runScheduler(client, stderrLogger, opts.host, leading);
  });
  await new Promise<void>((resolve) => parentPort!.once('message', () => resolve()));
  await stop();
  client.close();
  parentPort!.close();
}

export function isSchedulerThread(): boolean {
  return !isMainThread && (workerData as { role?: string } | null)?.role === SCHEDULER_ROLE;
}

// Under tsx the bootstrap imports this file as the thread's entry.
if (isSchedulerThread() && (workerData as { entry?: string }).entry === import.meta.url) {
  void schedulerThreadMain();
}
