import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The data dir holds the store, certificates, tokens and kubeconfig of one cluster. One
// wharf at a time: a pid file taken with O_EXCL, with stale files of dead processes reclaimed.

export function defaultDataDir(): string {
  return process.env.WHARF_DATA_DIR || path.join(os.homedir(), '.wharf');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir for this process; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'wharf.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new Error(
          `data dir ${dir} is in use by another wharf (process ${pid}); stop it first or pass --data-dir`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock data dir ${dir}`);
}
