import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { startTestCluster } from '../test/support/cluster.ts';
import { ensureTestImage } from '../test/support/test-image.ts';
import { flag, quantile, round } from './_stats.ts';

// npm run bench -- podstart --runtime process|docker --pods 50
// All pods are created at once on a one-node cluster (scheduler, agent and API server in
// this process, as in `wharf up`); the figure is creation → Ready seen through a watch.
// The floor is the same container started straight by the engine (create + start of the
// same command) or the same process by spawn, as many at once as there were pods.

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const SCRIPT = 'while true; do sleep 3600; done';

// The floor starts the same number of containers (or processes) at once, as the pods
// were: each figure is one start, from the request to the engine (or spawn) until running.
async function floorDocker(image: string, count: number): Promise<number[]> {
  const docker = new Docker();
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = performance.now();
      const c = await docker.createContainer({
        Image: image,
        Cmd: ['sh', '-c', SCRIPT],
        Labels: { 'dev.wharf.bench': 'floor' },
        // As the pod's container runs: Kubernetes gives containers no seccomp profile
        // unless the pod asks for one (agent/runtime/docker/security.ts).
        HostConfig: { SecurityOpt: ['seccomp=unconfined'] },
      });
      await c.start();
      return { ms: performance.now() - t0, c };
    }),
  );
  await Promise.all(started.map(({ c }) => c.remove({ force: true })));
  return started.map(({ ms }) => ms);
}

async function floorProcess(count: number): Promise<number[]> {
  const started = await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = performance.now();
      const child = spawn('sh', ['-c', SCRIPT], { detached: true, stdio: 'ignore' });
      await new Promise((r) => child.once('spawn', r));
      return { ms: performance.now() - t0, child };
    }),
  );
  for (const { child } of started) process.kill(-child.pid!, 'SIGKILL');
  return started.map(({ ms }) => ms);
}

/** Waits (up to 30 s) until the namespace has no pods left. */
async function podsGone(client: RestClient): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const left = await client.list(PODS, 'default').catch(() => ({ items: [] }));
    if (left.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const runtime = flag(args, 'runtime', 'process') as 'process' | 'docker';
  const count = Number(flag(args, 'pods', '50'));
  const image = runtime === 'docker' ? await ensureTestImage() : 'busybox:recorded-only';
  const nodeName = `bench-${runtime}`;
  const cluster = await startTestCluster({ agent: { runtime, nodeName } });
  const client = new RestClient({
    server: cluster.url,
    token: cluster.token,
    caPem: cluster.caPem,
  });
  try {
    const rv = (await client.list(PODS, 'default', { limit: 1 })).metadata.resourceVersion;
    const created = new Map<string, number>();
    const ready = new Map<string, number>();
    const watch = new AbortController();
    const watching = (async () => {
      for await (const ev of client.watch(PODS, 'default', {
        resourceVersion: rv,
        signal: watch.signal,
      })) {
        const pod = ev.object as {
          metadata?: { name?: string };
          status?: { conditions?: Array<{ type: string; status: string }> };
        };
        const name = pod.metadata?.name ?? '';
        if (
          !ready.has(name) &&
          pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ) {
          ready.set(name, performance.now());
          if (ready.size === count) return;
        }
      }
    })().catch(() => undefined);
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `start-${i}`;
        created.set(name, performance.now());
        await client.create(PODS, 'default', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name },
          spec: {
            ...(process.env.PODSTART_BIND_DIRECTLY ? { nodeName } : {}),
            // Not 0: a grace of 0 removes the object at once, before the agent cleaned up.
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'main',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', SCRIPT],
              },
            ],
          },
        });
      }),
    );
    const deadline = Date.now() + 120_000;
    while (ready.size < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    watch.abort();
    await watching;
    if (ready.size < count)
      throw new Error(`only ${ready.size} of ${count} pods became Ready in 120 s`);
    const latencies = [...ready].map(([name, at]) => at - created.get(name)!);
    // Graceful deletes: the agent stops and removes each pod before its object goes. The
    // floor is measured once they are gone, on an engine as quiet as the pods had it.
    await Promise.all(
      [...created.keys()].map((name) =>
        client.delete(PODS, 'default', name).catch(() => undefined),
      ),
    );
    await podsGone(client);
    const floor =
      runtime === 'docker' ? await floorDocker(image, count) : await floorProcess(count);
    const p50 = quantile(latencies, 0.5);
    const floorP50 = quantile(floor, 0.5);
    return {
      runtime,
      pods: count,
      ready_p50_ms: round(p50, 1),
      ready_p99_ms: round(quantile(latencies, 0.99), 1),
      floor_p50_ms: round(floorP50, 1),
      ratio_p50: round(p50 / floorP50, 2),
    };
  } finally {
    // The agent stops what it started before the cluster goes away.
    await podsGone(client);
    client.close();
    await cluster.close();
  }
}
