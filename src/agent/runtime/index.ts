import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../client/index.ts';
import type { RuntimeDriver } from './types.ts';

// Choosing and opening a runtime driver. Drivers load lazily: a node on the process
// runtime never loads the Docker client, and the reverse.

export * from './types.ts';
export { FakeDriver, type FakeBehaviour } from './fake/fake-driver.ts';

export type RuntimeChoice = 'auto' | 'docker' | 'process';

export interface OpenRuntimeOptions {
  choice: RuntimeChoice;
  /** The agent's data dir: the process runtime keeps its state under it. */
  dataDir: string;
  nodeName: string;
  log: Logger;
}

/** A name that is the same for one agent across restarts and differs between agents. */
export function runtimeInstance(dataDir: string, nodeName: string): string {
  const digest = createHash('sha256')
    .update(`${path.resolve(dataDir)}\0${nodeName}`)
    .digest('hex');
  return `${nodeName.slice(0, 40)}-${digest.slice(0, 10)}`;
}

/** Opens the chosen runtime; `auto` takes docker when its socket answers. Says why. */
export async function openRuntime(
  opts: OpenRuntimeOptions,
): Promise<{ driver: RuntimeDriver; why: string }> {
  const instance = runtimeInstance(opts.dataDir, opts.nodeName);
  let choice = opts.choice;
  let why = `--runtime ${choice}`;
  if (choice === 'auto') {
    const { dockerAvailable } = await import('./docker/index.ts');
    const answer = await dockerAvailable();
    choice = answer ? 'docker' : 'process';
    why = answer
      ? 'auto: the Docker engine answered on its socket'
      : 'auto: no Docker engine answered, so pods run as host processes';
  }
  if (choice === 'docker') {
    const { createDockerDriver } = await import('./docker/index.ts');
    return { driver: await createDockerDriver({ instance, log: opts.log }), why };
  }
  const { createProcessDriver, processRuntimeRunDir } = await import('./process/index.ts');
  const runDir = processRuntimeRunDir();
  const driver = await createProcessDriver({
    instance,
    stateDir: path.join(opts.dataDir, 'process-runtime'),
    ...(runDir ? { runDir } : {}),
    log: opts.log,
  });
  const where = runDir ? `records on tmpfs in ${runDir}` : 'records in the data dir (no tmpfs)';
  return { driver, why: `${why}; ${where}` };
}
