import { statSync } from 'node:fs';
import { mkdir, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { Mount } from '../types.ts';
import type { ContainerRecord } from './records.ts';

// A bind mount needs its target to exist, and a process container's file system is the
// host's: a missing mount point is created ON THE HOST (a directory, or an empty file for
// a file volume). What was created is recorded and removed again with the container —
// only while empty, and only when no other live container of the driver mounts there
// (removing a mount point detaches it in every namespace that uses it).

/** Synchronous: a metadata call on every container start (see isExecutableFile). */
function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Creates the mount points that are missing; returns what it created, outermost first. */
export async function createMountPoints(mounts: Mount[]): Promise<string[]> {
  const created: string[] = [];
  for (const m of mounts) {
    if (exists(m.containerPath)) continue;
    const source = await stat(m.hostPath).catch(() => undefined);
    if (!source) throw new Error(`the volume's host path ${m.hostPath} does not exist`);
    const isFile = source.isFile();
    const dir = isFile ? dirname(m.containerPath) : m.containerPath;
    const first = await mkdir(dir, { recursive: true });
    if (first) {
      // every directory from the first one created down to `dir`
      const depth = relative(first, dir).split('/').filter(Boolean);
      created.push(first, ...depth.map((_, i) => `${first}/${depth.slice(0, i + 1).join('/')}`));
    }
    if (isFile) {
      await writeFile(m.containerPath, '', { flag: 'wx' });
      created.push(m.containerPath);
    }
  }
  return created;
}

const overlaps = (a: string, b: string) =>
  a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** Removes what `createMountPoints` made for `record`, innermost first. Best effort. */
export async function removeMountPoints(
  record: ContainerRecord,
  others: ContainerRecord[],
): Promise<void> {
  const live = others.filter((r) => r.id !== record.id && r.state !== 'exited');
  for (const path of [...(record.createdMountPoints ?? [])].reverse()) {
    if (live.some((r) => r.mounts.some((m) => overlaps(m.containerPath, path)))) continue;
    try {
      const info = await stat(path);
      if (info.isDirectory()) await rmdir(path);
      else if (info.size === 0) await unlink(path);
    } catch {
      // not empty, or gone: left as it is
    }
  }
}
