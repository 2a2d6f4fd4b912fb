import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { wharfRunDir } from '../runtime/host/index.ts';

// Where an agent keeps its pods' secret and projected volumes: a directory of its own in
// wharf's runtime directory on tmpfs (pod-config/volumes.ts says why), named after its
// data dir so that a restarted agent finds it again. It names that data dir in a file;
// the directories of agents whose data dir is gone are removed, since tmpfs is memory
// and no agent will come back for them.

const OWNER_FILE = 'state-dir';

/** This agent's directory for in-memory volumes, or undefined where there is no tmpfs. */
export function openMemoryVolumes(dataDir: string): string | undefined {
  const runDir = wharfRunDir();
  if (!runDir) return undefined;
  const owner = path.resolve(dataDir);
  const parent = path.join(runDir, 'pod-volumes');
  const root = path.join(parent, createHash('sha256').update(owner).digest('hex').slice(0, 16));
  try {
    // The data dir first: another agent's sweep takes a directory whose data dir is
    // missing for one that was deleted.
    mkdirSync(owner, { recursive: true });
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(root, OWNER_FILE), owner);
  } catch {
    return undefined; // the volumes then stay in the data dir, as before
  }
  for (const name of readdirSync(parent)) {
    const dir = path.join(parent, name);
    if (dir === root) continue;
    let other: string;
    try {
      other = readFileSync(path.join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue; // being made
    }
    if (!existsSync(other)) rmSync(dir, { recursive: true, force: true });
  }
  return root;
}
