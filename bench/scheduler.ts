import { performance } from 'node:perf_hooks';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { startTestCluster } from '../test/support/cluster.ts';
import { flag, quantile, round } from './_stats.ts';

// npm run bench -- scheduler --nodes 1000 --pods 10000
// Nodes are API objects with capacity; every pod is created through the API and the
// figure is pods bound per second from the first creation to the last binding, seen
// through a watch, plus the p99 of creation → bound. API server, controllers and
// scheduler all run in this process, as in `wharf up`.

const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

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

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const nodeCount = Number(flag(args, 'nodes', '1000'));
  const podCount = Number(flag(args, 'pods', '10000'));
  const cluster = await startTestCluster();
  const client = new RestClient({
    server: cluster.url,
    token: cluster.token,
    caPem: cluster.caPem,
  });
  try {
    await inFlight(nodeCount, 32, async (i) => {
      const name = `node-${i}`;
      await client.create(NODES, '', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'topology.kubernetes.io/zone': `zone-${i % 3}`,
          },
        },
        status: {
          capacity: { cpu: '32', memory: '128Gi', pods: '110' },
          allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
    });
    const rv = (await client.list(PODS, 'default', { limit: 1 })).metadata.resourceVersion;
    const createdAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastBound = 0;
    const controller = new AbortController();
    const watching = (async () => {
      for await (const ev of client.watch(PODS, 'default', {
        resourceVersion: rv,
        signal: controller.signal,
      })) {
        if (ev.type !== 'MODIFIED') continue;
        const pod = ev.object as { metadata: { name: string }; spec?: { nodeName?: string } };
        const start = createdAt.get(pod.metadata.name);
        if (pod.spec?.nodeName && start !== undefined) {
          createdAt.delete(pod.metadata.name);
          lastBound = performance.now();
          latencies.push(lastBound - start);
          if (latencies.length === podCount) break;
        }
      }
    })();
    const first = performance.now();
    await inFlight(podCount, 64, async (i) => {
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
    });
    const deadline = setTimeout(() => controller.abort(), 300_000);
    await watching.catch(() => {});
    clearTimeout(deadline);
    controller.abort();
    if (latencies.length < podCount)
      throw new Error(`only ${latencies.length} of ${podCount} pods were bound`);
    return {
      nodes: nodeCount,
      pods: podCount,
      pods_per_s: round(podCount / ((lastBound - first) / 1000), 0),
      bind_p99_ms: round(quantile(latencies, 0.99), 1),
    };
  } finally {
    client.close();
    await cluster.close();
  }
}
