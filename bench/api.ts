import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startTestCluster } from '../test/support/cluster.ts';
import { quantile, round } from './_stats.ts';

// npm run bench -- api
// creates/s of ConfigMaps over HTTPS with 64 concurrent clients, GET p99, LIST of 10,000
// pods, one change fanned out to 1,000 watchers (p99), and for a real `wharf up` process:
// idle RSS and the time from process start to /readyz ok.

interface Client {
  request(method: string, path: string, body?: unknown): Promise<{ code: number; body: string }>;
  stream(path: string, onLine: (line: string) => void): () => void;
}

function client(url: string, token: string, caPem: string, sockets: number): Client {
  const agent = new https.Agent({ keepAlive: true, maxSockets: sockets, ca: caPem });
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  return {
    request(method, p, body) {
      return new Promise((resolve, reject) => {
        const req = https.request(new URL(p, url), { method, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    },
    stream(p, onLine) {
      const req = https.request(
        new URL(p, url),
        { method: 'GET', agent: false, ca: caPem, headers },
        (res) => {
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              onLine(buf.slice(0, nl));
              buf = buf.slice(nl + 1);
            }
          });
        },
      );
      req.on('error', () => {});
      req.end();
      return () => req.destroy();
    },
  };
}

async function inFlight(
  total: number,
  concurrency: number,
  run: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await run(next++);
    }),
  );
}

async function apiFigures() {
  const cluster = await startTestCluster();
  try {
    const api = client(cluster.url, cluster.token, cluster.caPem, 64);
    const cm = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { k: 'v'.repeat(200) },
    });
    await inFlight(
      500,
      64,
      async (i) =>
        void (await api.request('POST', '/api/v1/namespaces/default/configmaps', cm(`warm-${i}`))),
    );
    const creates = 10_000;
    const t = performance.now();
    await inFlight(creates, 64, async (i) => {
      const r = await api.request('POST', '/api/v1/namespaces/default/configmaps', cm(`cm-${i}`));
      if (r.code !== 201) throw new Error(`create failed: ${r.code} ${r.body}`);
    });
    const creates_per_s = creates / ((performance.now() - t) / 1000);

    const gets: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const s = performance.now();
      await api.request('GET', `/api/v1/namespaces/default/configmaps/cm-${i}`);
      gets.push(performance.now() - s);
    }

    const pod = (i: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, labels: { app: 'bench', n: String(i % 10) } },
      spec: {
        // This benchmark measures the API server: keep the default scheduler out of it.
        schedulerName: 'api-benchmark',
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            resources: { requests: { cpu: '10m', memory: '16Mi' } },
          },
        ],
      },
    });
    await inFlight(10_000, 64, async (i) => {
      const r = await api.request('POST', '/api/v1/namespaces/default/pods', pod(i));
      if (r.code !== 201) throw new Error(`pod create failed: ${r.code} ${r.body}`);
    });
    const lists: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const r = await api.request('GET', '/api/v1/namespaces/default/pods');
      lists.push(performance.now() - s);
      const items = (JSON.parse(r.body) as { items: unknown[] }).items.length;
      if (items !== 10_000) throw new Error(`listed ${items} pods`);
    }

    const watchers = 1000;
    const rv = (
      JSON.parse(
        (await api.request('GET', '/api/v1/namespaces/default/configmaps?limit=1')).body,
      ) as { metadata: { resourceVersion: string } }
    ).metadata.resourceVersion;
    const latencies: number[] = [];
    let sentAt = 0;
    let connected = 0;
    const stops: (() => void)[] = [];
    for (let i = 0; i < watchers; i++) {
      stops.push(
        api.stream(
          `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dfanout`,
          (line) => {
            if (line.includes('"fanout"')) latencies.push(performance.now() - sentAt);
          },
        ),
      );
    }
    const deadline = Date.now() + 30_000;
    while (connected < watchers && Date.now() < deadline) {
      connected = cluster.apiserver.cache.watcherCount;
      await new Promise((r) => setTimeout(r, 50));
    }
    sentAt = performance.now();
    await api.request('POST', '/api/v1/namespaces/default/configmaps', cm('fanout'));
    while (latencies.length < watchers && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    stops.forEach((s) => s());
    if (latencies.length < watchers)
      throw new Error(`only ${latencies.length} of ${watchers} watchers heard the change`);

    return {
      creates_per_s: round(creates_per_s, 0),
      get_p99_ms: round(quantile(gets, 0.99), 2),
      list_10k_pods_ms: round(quantile(lists, 0.5), 1),
      watch_fanout_p99_ms: round(quantile(latencies, 0.99), 1),
    };
  } finally {
    await cluster.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a real `wharf up`, times it to /readyz ok, and reads its idle RSS. */
async function processFigures() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-up-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/wharf.mjs'), 'up', '--data-dir', dataDir, '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    let ready_s = NaN;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ok = await new Promise<boolean>((resolve) => {
        const req = https.get(
          { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 500 },
          (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          },
        );
        req.on('error', () => resolve(false));
        req.on('timeout', () => req.destroy());
      });
      if (ok) {
        ready_s = (performance.now() - started) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { idle_rss_mib: round(rssKb / 1024, 1), ready_s: round(ready_s, 2) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function main(): Promise<Record<string, unknown>> {
  const proc = await processFigures();
  const api = await apiFigures();
  return { ...api, ...proc };
}
