import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { runWhileLeading } from './leader-election.ts';
import { stderrLogger } from './logger.ts';
import { RestClient } from './rest-client.ts';

// A component of the control plane (scheduler, controller manager) on a thread of its own,
// as kube-scheduler and kube-controller-manager are processes of their own: each is only a
// client of the API server, and on its own thread it uses the machine's other cores
// instead of taking turns with the API server. Under the bundle a thread runs a bundle of
// its own (dist/<name>.mjs, the client and the component only); under tsx, a small
// bootstrap registers tsx in the thread first and then imports the component's module.

export interface ComponentThread {
  /** Asks the component to stop, and waits (at most 10 s) for the thread to end. */
  stop(): Promise<void>;
}

const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts the thread that runs `role`. `moduleUrl` is the import.meta.url of the module
 * that runs the component when imported in a thread (see componentThreadRole);
 * `bundleName` its bundle's file name beside the command's bundle.
 */
export function startComponentThread(
  role: string,
  moduleUrl: string,
  bundleName: string,
  data: object,
): ComponentThread {
  const workerData = { ...data, role };
  const worker = moduleUrl.endsWith('.ts')
    ? new Worker(new URL('../../scripts/ts-thread.mjs', import.meta.url), {
        workerData: { ...workerData, entry: moduleUrl },
      })
    : new Worker(new URL(`./${bundleName}`, moduleUrl), { workerData });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => stderrLogger.error({ err, role }, `BUG: the ${role} thread failed`));
  return {
    async stop() {
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The role of this thread when it was started by startComponentThread to run the module
 * at `moduleUrl` from the TypeScript sources; undefined otherwise (the main thread, a
 * bundle's thread, or another component's).
 */
export function componentThreadRole(moduleUrl: string): string | undefined {
  if (isMainThread) return undefined;
  const data = workerData as { role?: string; entry?: string } | null;
  return data?.entry === moduleUrl ? data.role : undefined;
}

/** How a component thread reaches the API server: part of every thread's options. */
export interface ComponentConnection {
  server: string;
  token: string;
  caPem: string;
  /** The API server's local socket, when the component runs in its process. */
  socketPath?: string;
}

/**
 * The thread's body: a client of the API server, named `role`, runs `component` while it
 * holds the Lease `role` in kube-system, until the main thread says stop. `opts` are the
 * options the thread was started with.
 */
export async function serveComponentThread<T extends ComponentConnection>(
  role: string,
  component: (client: RestClient, opts: T, leading: AbortSignal) => Promise<void>,
): Promise<void> {
  const opts = workerData as T;
  const client = new RestClient({
    server: opts.server,
    token: opts.token,
    caPem: opts.caPem,
    userAgent: role,
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
  });
  const stop = runWhileLeading(client, role, stderrLogger, (leading) =>
    component(client, opts, leading),
  );
  await new Promise<void>((resolve) => parentPort!.once('message', () => resolve()));
  await stop();
  client.close();
  parentPort!.close();
}
