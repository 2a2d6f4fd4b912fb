import { existsSync } from 'node:fs';
import { readdir, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { wharfRunDir } from '../host/index.ts';
import {
  FILES,
  RUN_FILES,
  type ContainerRecord,
  type RecordStore,
  type SandboxRecord,
} from './records.ts';

// The process runtime's part of wharf's runtime directory (host/run-dir.ts says why it
// is a tmpfs): what ends with the machine, which records.ts lists.

/** In an instance's runtime directory: the path of its state directory. */
const OWNER_FILE = 'state-dir';

/** The process runtime's runtime directory on this machine, or undefined without a tmpfs. */
export function processRuntimeRunDir(candidates?: string[]): string | undefined {
  const dir = wharfRunDir(candidates);
  return dir === undefined ? undefined : join(dir, 'process-runtime');
}

/**
 * Readies a store whose records are apart from its logs: names its state directory (for
 * sweepRunDir), moves the records an agent before the runtime directory left in the state
 * directory, and removes what nothing refers to any more.
 */
export async function prepareRunDir(store: RecordStore): Promise<void> {
  if (!store.separate) return;
  await writeFile(join(store.runRoot, OWNER_FILE), store.stateRoot);
  await moveLegacyRecords(store);
  await removeUnrecordedContainers(store);
  await sweepRunDir(dirname(store.runRoot), store.runRoot);
}

/**
 * Logs and working directories of containers without a record: the machine restarted
 * (the tmpfs is empty, and those processes are gone) or an agent died between making a
 * container's directories. No agent can tell whose they were any more.
 */
async function removeUnrecordedContainers(store: RecordStore): Promise<void> {
  for (const id of await readdir(join(store.stateRoot, 'containers')).catch(() => [])) {
    if (existsSync(store.containerRunDir(id))) continue;
    if (existsSync(join(store.containerDir(id), FILES.state))) continue; // not moved: not ours
    await rm(store.containerDir(id), { recursive: true, force: true });
  }
}

/**
 * Records written into the state directory by an earlier agent move to the runtime
 * directory. The shims of its containers still write their exit codes, and read their
 * stdin FIFOs, where they were: links in the new place lead there. The pods' /etc files
 * stay too (their containers have them mounted); the sandbox's removal looks in both.
 * New copies are written before old ones go, so an interrupted move is made again.
 */
async function moveLegacyRecords(store: RecordStore): Promise<void> {
  const legacySandboxes = join(store.stateRoot, 'sandboxes');
  for (const name of await readdir(legacySandboxes).catch(() => [])) {
    const path = join(legacySandboxes, name);
    if (!name.endsWith('.json')) continue;
    const record = JSON.parse(await readFile(path, 'utf8')) as SandboxRecord;
    if (record.instance !== store.instance) continue; // not ours to move, nor to lose
    await store.writeSandbox(record);
    await rm(path, { force: true });
  }
  await rmdir(legacySandboxes).catch(() => undefined);
  const containers = join(store.stateRoot, 'containers');
  for (const id of await readdir(containers).catch(() => [])) {
    const legacy = join(store.containerDir(id), FILES.state);
    const text = await readFile(legacy, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const record = JSON.parse(text) as ContainerRecord;
    if (record.instance !== store.instance) continue;
    await store.makeContainerDirs(id);
    for (const file of RUN_FILES) {
      if (file === FILES.state) continue;
      await symlink(join(store.containerDir(id), file), store.containerFile(id, file)).catch(
        (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        },
      );
    }
    await store.writeContainer(record);
    await rm(legacy, { force: true });
  }
}

/**
 * Removes the runtime directories of instances whose state directory is gone: their
 * data dir was deleted, so no agent will adopt them, and tmpfs is memory. An instance
 * that has not named its state directory yet is being made, and is left alone.
 */
async function sweepRunDir(runDir: string, keep: string): Promise<void> {
  for (const name of await readdir(runDir).catch(() => [])) {
    const root = join(runDir, name);
    if (root === keep) continue;
    const owner = await readFile(join(root, OWNER_FILE), 'utf8').catch(() => undefined);
    if (owner === undefined || existsSync(owner)) continue;
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
}
