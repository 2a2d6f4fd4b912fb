import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { startTestCluster } from '../test/support/cluster.ts';
import { flag } from './_stats.ts';

// npm run bench -- scheduler --nodes 1000 --pods 10000
// Nodes are API objects with capacity; every pod is created through the API and the
// figure is pods bound per second from the first creation to the last binding, seen
// through a watch, plus the p99 of creation → bound. API server, controllers and
// scheduler run in this process, as in `wharf up`; the client that creates and watches
// the pods is a process of its own (bench/_scheduler-load.ts), as kubectl or any real
// client is, so it competes for the machine's cores but not for the API server's thread.

const here = path.dirname(fileURLToPath(import.meta.url));

interface LoadFigures {
  bound: number;
  pods_per_s: number;
  bind_p99_ms: number;
}

function runLoad(input: {
  server: string;
  token: string;
  caPem: string;
  pods: number;
}): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, '_scheduler-load.ts')],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{'))
        return reject(new Error(`the load process exited with ${code}: ${out}`));
      resolve(JSON.parse(last) as LoadFigures);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

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
  // The nodes are API objects with no agent renewing their leases: as scheduler_perf runs
  // without a node lifecycle controller, this one gets a grace period longer than any run,
  // or the nodes would turn NotReady (and tainted) after 40 s, halfway through a big run.
  const cluster = await startTestCluster({ nodeMonitorGracePeriodSeconds: 3600 });
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
    const figures = await runLoad({
      server: cluster.url,
      token: cluster.token,
      caPem: cluster.caPem,
      pods: podCount,
    });
    if (figures.bound < podCount)
      throw new Error(`only ${figures.bound} of ${podCount} pods were bound`);
    return {
      nodes: nodeCount,
      pods: podCount,
      pods_per_s: figures.pods_per_s,
      bind_p99_ms: figures.bind_p99_ms,
    };
  } finally {
    client.close();
    await cluster.close();
  }
}
