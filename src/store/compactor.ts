import type { Backend } from './types.ts';

// Automatic compaction, as kube-apiserver does it for etcd: at every tick, compact to the
// revision that was current one tick earlier, so history of at least one interval is
// always kept for watchers that reconnect.

export interface CompactorOptions {
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

/** Starts compacting `backend` in the background; returns the function that stops it. */
export function startCompactor(backend: Backend, opts: CompactorOptions = {}): () => void {
  const intervalMs = opts.intervalMs ?? 5 * 60_000;
  let previous = 0;
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      if (previous > 0) await backend.compact(previous);
      previous = await backend.currentRevision();
    } catch (err) {
      opts.onError?.(err);
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
