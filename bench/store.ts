import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore, type Backend } from '../src/store/index.ts';
import { flag, quantile, round } from './_stats.ts';

// npm run bench -- store [--backend sqlite|etcd|all]
// Figures per backend: creates/s sequential and with 64 in flight, get p50/p99, list of
// 10,000 keys, watch delivery latency with 100 watchers. With `all` (the default) etcd
// runs too when it is installed, and the ratios sqlite/etcd are added.

const value = Buffer.from(JSON.stringify({ kind: 'ConfigMap', data: { k: 'x'.repeat(400) } }));

async function measure(store: Backend): Promise<Record<string, number | string>> {
  const seqN = 2000;
  let t = performance.now();
  for (let i = 0; i < seqN; i++) await store.create(`/bench/seq/${i}`, value);
  const creates_per_s_sequential = seqN / ((performance.now() - t) / 1000);

  const concN = 20_000;
  let next = 0;
  t = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < concN) await store.create(`/bench/conc/${next++}`, value);
    }),
  );
  const creates_per_s_concurrent = concN / ((performance.now() - t) / 1000);

  const gets: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const start = performance.now();
    await store.get(`/bench/conc/${Math.floor(Math.random() * concN)}`);
    gets.push(performance.now() - start);
  }

  next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < 10_000)
        await store.create(`/bench/list/${String(next++).padStart(5, '0')}`, value);
    }),
  );
  const lists: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const result = await store.list('/bench/list/');
    if (result.kvs.length !== 10_000) throw new Error(`listed ${result.kvs.length} keys`);
    lists.push(performance.now() - start);
  }

  const watchers = 100;
  const writes = 200;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const controller = new AbortController();
  setMaxListeners(watchers + 10, controller.signal);
  const from = await store.currentRevision();
  let received = 0;
  let wake: () => void = () => {};
  const loops = Array.from({ length: watchers }, async () => {
    for await (const batch of store.watch('/bench/watch/', from, { signal: controller.signal })) {
      const now = performance.now();
      for (const ev of batch) latencies.push(now - sentAt.get(ev.kv.key)!);
      received += batch.length;
      wake();
    }
  });
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < writes; i++) {
    const key = `/bench/watch/${i}`;
    const delivered = new Promise<void>(
      (r) => (wake = () => received >= (i + 1) * watchers && r()),
    );
    sentAt.set(key, performance.now());
    await store.create(key, value);
    await delivered;
  }
  controller.abort();
  await Promise.all(loops);

  return {
    backend: store.name,
    creates_per_s_sequential: round(creates_per_s_sequential, 0),
    creates_per_s_concurrent: round(creates_per_s_concurrent, 0),
    get_p50_ms: round(quantile(gets, 0.5), 3),
    get_p99_ms: round(quantile(gets, 0.99), 3),
    list_10k_ms: round(quantile(lists, 0.5), 1),
    watch_p50_ms: round(quantile(latencies, 0.5), 2),
    watch_p99_ms: round(quantile(latencies, 0.99), 2),
  };
}

async function runSqlite(): Promise<Record<string, number | string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-'));
  const store = await openStore(`sqlite://${path.join(dir, 'state.db')}`);
  try {
    return await measure(store);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runEtcd(): Promise<Record<string, number | string>> {
  const { startEtcd } = await import('../test/support/etcd-server.ts');
  const etcd = await startEtcd();
  const store = await openStore(etcd.url);
  try {
    return await measure(store);
  } finally {
    await store.close();
    await etcd.stop();
  }
}

function hasEtcd(): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'etcd')));
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const backend = flag(args, 'backend', 'all');
  if (backend === 'sqlite') return runSqlite();
  if (backend === 'etcd') return runEtcd();
  if (backend !== 'all') throw new Error(`--backend must be sqlite, etcd or all, not ${backend}`);
  const sqlite = await runSqlite();
  console.error(JSON.stringify(sqlite));
  if (!hasEtcd()) return { ...sqlite, etcd: 'not installed (apt-get install -y etcd-server)' };
  const etcd = await runEtcd();
  console.error(JSON.stringify(etcd));
  const ratio = (k: string) => round(Number(sqlite[k]) / Number(etcd[k]), 2);
  return {
    ...sqlite,
    etcd,
    sqlite_over_etcd: {
      creates_sequential: ratio('creates_per_s_sequential'),
      creates_concurrent: ratio('creates_per_s_concurrent'),
      get_p99: ratio('get_p99_ms'),
      list_10k: ratio('list_10k_ms'),
      watch_p99: ratio('watch_p99_ms'),
    },
  };
}
