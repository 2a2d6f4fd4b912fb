import { existsSync, lstatSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

// Wharf's runtime directory: where the runtimes keep what ends with the machine (the
// process runtime's records, the pods' /etc files the docker runtime mounts), on tmpfs,
// as containerd keeps its task state under /run.
//
// Why not the data dir: a process pod's start writes about seven of these files (most of them a
// temporary file renamed over the last), and on a disk file system each new inode costs
// the kernel far more than on tmpfs. On ext4 without a journal it grows with how many
// files were deleted in the last half minute (docs/agent.md, "Session 9"): a 50-pod
// burst spent a quarter of the machine's CPU there, when all of them were on the disk.
//
// Root uses /run/wharf when /run is a tmpfs, else /dev/shm/wharf (minimal systems and
// containers often have /run on disk); other users /dev/shm/wharf-<uid>. The choice
// depends only on the machine, so an agent's restart finds its records again. A
// candidate must be a directory of our own, never a link: /dev/shm is writable by all.
// With no tmpfs at all, the state directory holds everything, as it always did.

function ownDirectory(dir: string, uid: number): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  const stat = lstatSync(dir);
  return stat.isDirectory() && stat.uid === uid;
}

function defaultCandidates(uid: number): string[] {
  return uid === 0 ? ['/run/wharf', '/dev/shm/wharf'] : [`/dev/shm/wharf-${uid}`];
}

/** Wharf's runtime directory on this machine (a tmpfs), or undefined without one. */
export function wharfRunDir(candidates?: string[]): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  for (const dir of candidates ?? defaultCandidates(uid)) {
    if (!onTmpfs(existsSync(dir) ? dir : dirname(dir))) continue;
    if (ownDirectory(dir, uid)) return dir;
  }
  return undefined;
}

const TMPFS_MAGIC = 0x01021994;

export function onTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}
