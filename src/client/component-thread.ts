import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { stderrLogger } from './logger.ts';

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

/** The options the thread was started with. */
export function componentThreadData<T>(): T {
  return workerData as T;
}

/** The thread's body: runs what `start` starts until the main thread says stop. */
export async function serveComponentThread(start: () => () => Promise<void>): Promise<void> {
  const stop = start();
  await new Promise<void>((resolve) => parentPort!.once('message', () => resolve()));
  await stop();
  parentPort!.close();
}
