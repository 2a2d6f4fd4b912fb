import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

// The kubelet's SetVolumeOwnership for a pod's fsGroup (pkg/volume/volume_linux.go): every
// file and directory of the volume, the volume's own directory included, gets the group
// (symlinks themselves, never their targets) and group permission bits: read and write
// (0660) in a writable volume, read (0440) in a read-only one (configMap, secret,
// downwardAPI, projected), plus set-group-ID and search (0110) on directories — so a
// container running as another user, in that group, can use what the volume holds.

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/**
 * Applies `fsGroup` to everything under `dir`. Resolves false when the group could not be
 * given (EPERM: changing a file's group to one the agent is not in needs root); the
 * permission bits are set all the same.
 */
export async function applyFsGroup(
  dir: string,
  fsGroup: number,
  readOnly: boolean,
): Promise<boolean> {
  let permitted = true;
  const visit = async (p: string): Promise<void> => {
    const info = await lstat(p);
    try {
      await lchown(p, -1, fsGroup);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      permitted = false;
    }
    if (info.isSymbolicLink()) return;
    let mask = readOnly ? RO_MASK : RW_MASK;
    if (info.isDirectory()) mask |= SETGID | EXEC_MASK;
    await chmod(p, (info.mode & 0o7777) | mask);
    if (info.isDirectory()) {
      for (const name of await readdir(p)) await visit(path.join(p, name));
    }
  };
  await visit(dir);
  return permitted;
}
