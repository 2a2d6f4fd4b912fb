import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Test files run two at a time, in separate processes, and every kernel service proxy
// owns the same WHARF-* iptables chains: tests that program them take this machine-wide
// lock first, so two of them never rewrite each other's rules.

const LOCK = path.join(os.tmpdir(), 'wharf-test-iptables.lock');

function holderAlive(): boolean {
  try {
    const pid = Number(fs.readFileSync(LOCK, 'utf8'));
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to `timeoutMs`) for the lock; resolves with its release. */
export async function lockKernelRules(timeoutMs = 900_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!holderAlive()) fs.rmSync(LOCK, { force: true });
      else if (Date.now() > deadline) throw new Error(`${LOCK} held too long by another test`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}
