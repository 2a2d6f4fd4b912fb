import { missingCommand, missingRoot } from '../../../../test/support/requirements.ts';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ContainerSpec, LogLine, RuntimeDriver } from '../types.ts';
import type { CniNetwork } from '../podnet/index.ts';
import { createProcessDriver, type ProcessDriverOptions } from './driver.ts';
import { onTmpfs } from '../host/index.ts';

// Shared by the process runtime's test files. Each file uses a CNI network of its own
// (test files run in parallel, and each deletes its bridge at the end), never a real
// agent's.

export const run = promisify(execFile);
export const root = process.getuid?.() === 0;
export const skip = existsSync('/usr/bin/busybox')
  ? false
  : missingCommand('busybox', 'apt-get install busybox-static');
/** For what only root can do (network namespaces, mounts, cgroups). */
export const rootSkip = missingRoot('network namespaces, mounts and cgroups');

/**
 * A state directory and a runtime directory for the file's drivers, as an agent has them
 * on a machine with a tmpfs; removed, with what is left, after the file.
 */
export function testEnvironment(network: CniNetwork) {
  let stateDir = '';
  let runDir = '';
  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'wharf-process-'));
    // On tmpfs where there is one, as an agent's (records are then written synchronously).
    const memory = onTmpfs('/dev/shm') ? '/dev/shm' : tmpdir();
    runDir = await mkdtemp(join(memory, 'wharf-process-run-'));
  });
  after(async () => {
    // Every process and sandbox is gone by now (each suite removes what it made); what is
    // left are the instances' parent cgroups, the test bridge and its address records.
    for (const controller of ['memory', 'cpu']) {
      for (const dir of await readdir(stateDir).catch(() => [])) {
        await rmdir(`/sys/fs/cgroup/${controller}/wharf/${dir}`).catch(() => undefined);
      }
      // Only when empty: another test file or a real agent may still use it.
      await rmdir(`/sys/fs/cgroup/${controller}/wharf`).catch(() => undefined);
    }
    await rm(stateDir, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
    if (root && existsSync(`/sys/class/net/${network.bridge}`)) {
      await run('ip', ['link', 'delete', network.bridge]).catch(() => undefined);
      await rm(`/var/lib/cni/networks/${network.name}`, { recursive: true, force: true });
    }
  });
  return {
    get stateDir() {
      return stateDir;
    },
    get runDir() {
      return runDir;
    },
    open: (instance: string, extra: Partial<ProcessDriverOptions> = {}) =>
      createProcessDriver({ instance, stateDir, runDir, network, ...extra }),
  };
}

export function spec(
  podUid: string,
  name: string,
  script: string,
  extra: Partial<ContainerSpec> = {},
) {
  return {
    ...{ podUid, podName: 'p', namespace: 'test', name, attempt: 0, hash: 'h', image: 'host' },
    ...{ command: ['sh', '-c', script], args: [], env: [], mounts: [], tty: false },
    ...{ stdin: false, stdinOnce: false, resources: {} },
    ...extra,
  } satisfies ContainerSpec;
}

export async function collect(
  driver: RuntimeDriver,
  id: string,
  follow = false,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of driver.logs(id, { follow })) lines.push(line);
  return lines;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
