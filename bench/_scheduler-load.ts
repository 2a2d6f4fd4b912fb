// The scheduler benchmark's client, run as its own process as a real client is, so the
// API server's thread is not also the load generator's:
//   node --import tsx bench/_scheduler-load.ts   (reads {server, token, caPem, pods} on stdin)
// Watches the namespace's bound pods (fieldSelector spec.nodeName!=, so a pod arrives
// once, when its binding is written) from the current revision, creates the pods 64 at
// a time, and prints {"pods_per_s":…, "bind_p99_ms":…, "bound":…} once every pod is seen
// bound.
import { performance } from 'node:perf_hooks';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { quantile, round } from './_stats.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const CONCURRENCY = 64;
const DEADLINE_MS = 300_000;

interface Input {
  server: string;
  token: string;
  caPem: string;
  pods: number;
}

async function readInput(): Promise<Input> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as Input;
}

const input = await readInput();
const client = new RestClient({ server: input.server, token: input.token, caPem: input.caPem });
const rv = (await client.list(PODS, 'default', { limit: 1 })).metadata.resourceVersion;
const createdAt = new Map<string, number>();
const latencies: number[] = [];
let lastBound = 0;
const stop = new AbortController();
const deadline = setTimeout(() => stop.abort(), DEADLINE_MS);
const watching = (async () => {
  for await (const ev of client.watch(PODS, 'default', {
    resourceVersion: rv,
    fieldSelector: 'spec.nodeName!=',
    signal: stop.signal,
  })) {
    if (ev.type === 'DELETED') continue;
    const pod = ev.object as { metadata: { name: string }; spec?: { nodeName?: string } };
    const start = createdAt.get(pod.metadata.name);
    if (pod.spec?.nodeName && start !== undefined) {
      createdAt.delete(pod.metadata.name);
      lastBound = performance.now();
      latencies.push(lastBound - start);
      if (latencies.length === input.pods) break;
    }
  }
})();

const first = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < input.pods) {
      const i = next++;
      const name = `pod-${i}`;
      createdAt.set(name, performance.now());
      await client.create(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: `app-${i % 20}` } },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'busybox:1.36',
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
            },
          ],
        },
      });
    }
  }),
);
await watching.catch(() => {});
clearTimeout(deadline);
stop.abort();
client.close();
console.log(
  JSON.stringify({
    bound: latencies.length,
    pods_per_s: round(input.pods / ((lastBound - first) / 1000), 0),
    bind_p99_ms: round(quantile(latencies, 0.99), 1),
  }),
);
process.exit(0);
