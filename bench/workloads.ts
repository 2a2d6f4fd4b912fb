import { performance } from 'node:perf_hooks';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { startTestCluster } from '../test/support/cluster.ts';
import { ensureTestImage } from '../test/support/test-image.ts';
import { flag, quantile, round } from './_stats.ts';

// npm run bench -- workloads --runtime process|docker
// On a one-node cluster (API server, controllers, scheduler and agent in this process, as
// `wharf up`): a Deployment scaled 0 → 100 (time until 100 pods are Ready), a rolling
// update of those 100 with maxSurge 25% (time until every Ready pod is of the new
// template and the old ones are gone), and 20 pod deletions, each timed until a
// replacement is Ready. All figures are seen through the API.

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const DEPLOYMENTS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  namespaced: true,
};

type Pod = {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
};

const isReady = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function waitFor(what: string, probe: () => Promise<boolean>, limitMs = 300_000) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${limitMs / 1000} s`);
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const runtime = flag(args, 'runtime', 'process') as 'process' | 'docker';
  const replicas = Number(flag(args, 'replicas', '100'));
  const image = runtime === 'docker' ? await ensureTestImage() : 'busybox:recorded-only';
  const cluster = await startTestCluster({ agent: { runtime, nodeName: `bench-${runtime}` } });
  const client = new RestClient({
    server: cluster.url,
    token: cluster.token,
    caPem: cluster.caPem,
  });
  const pods = async () =>
    (await client.list<Pod>(PODS, 'default', { labelSelector: 'app=bench' })).items;
  const template = (version: string) => ({
    metadata: { labels: { app: 'bench', version } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'while true; do sleep 3600; done'],
        },
      ],
    },
  });
  try {
    await client.create(DEPLOYMENTS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'bench' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
        template: template('v1'),
      },
    });

    const scaleStart = performance.now();
    await client.patch(DEPLOYMENTS, 'default', 'bench', { spec: { replicas } }, 'merge');
    await waitFor(
      `${replicas} pods Ready`,
      async () => (await pods()).filter(isReady).length >= replicas,
    );
    const scaleS = (performance.now() - scaleStart) / 1000;

    const rollStart = performance.now();
    await client.patch(
      DEPLOYMENTS,
      'default',
      'bench',
      { spec: { template: template('v2') } },
      'merge',
    );
    await waitFor('the rollout', async () => {
      const all = await pods();
      const v2 = all.filter((p) => isReady(p) && p.metadata.labels?.version === 'v2').length;
      return v2 >= replicas && all.every((p) => p.metadata.labels?.version === 'v2');
    });
    const rollS = (performance.now() - rollStart) / 1000;

    const replace: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = new Set((await pods()).map((p) => p.metadata.name));
      const victim = [...before][i % before.size]!;
      const t0 = performance.now();
      await client.delete(PODS, 'default', victim);
      await waitFor('a replacement Ready', async () =>
        (await pods()).some((p) => !before.has(p.metadata.name) && isReady(p)),
      );
      replace.push(performance.now() - t0);
      await waitFor('the deleted pod gone', async () =>
        (await pods()).every((p) => p.metadata.name !== victim),
      );
    }
    return {
      runtime,
      replicas,
      scale_0_100_s: round(scaleS, 2),
      rolling_update_100_s: round(rollS, 2),
      replace_p50_ms: round(quantile(replace, 0.5), 1),
      replace_p99_ms: round(quantile(replace, 0.99), 1),
    };
  } finally {
    await client.delete(DEPLOYMENTS, 'default', 'bench').catch(() => undefined);
    await waitFor('every pod gone', async () => (await pods()).length === 0, 120_000).catch(
      () => undefined,
    );
    client.close();
    await cluster.close();
  }
}
