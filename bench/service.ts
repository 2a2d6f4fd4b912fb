import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RestClient, type ResourceRef } from '../src/client/index.ts';
import { startTestCluster } from '../test/support/cluster.ts';
import { flag, quantile, round } from './_stats.ts';

// npm run bench -- service [--mode kernel|userspace] [--connections 16] [--seconds 5]
// A one-node cluster on the process runtime (as root: pods in their own network
// namespaces) with the node's service proxy and DNS, as `wharf up` runs them:
//   - HTTP keep-alive requests/s and p99 to a service's cluster IP versus straight to its
//     one pod's IP, same server, same load, one after the other (the ratio is the cost
//     of the data plane);
//   - endpoint propagation: a new pod is seen Ready in the API → the cluster IP answers
//     from it (the endpoints controllers plus the proxy), p50/p99 over some rounds;
//   - cluster DNS queries/s and p99 for a service name.
// The load runs in its own process (bench/_load.ts).

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services', namespaced: true };

type Pod = {
  metadata: { name: string };
  status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
};
const isReady = (p: Pod) =>
  !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

const SERVER = `require('http').createServer((q, s) => s.end(process.env.POD_NAME)).listen(8080)`;

async function load(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', path.join(here, '_load.ts'), ...args],
    {
      timeout: 120_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      const req = http.get({ host, port, agent: false, timeout: 1000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    }, reject);
  });
}

export async function main(args: string[]): Promise<Record<string, unknown>> {
  const mode = flag(args, 'mode', 'kernel') as 'kernel' | 'userspace';
  const connections = Number(flag(args, 'connections', '16'));
  const ms = Number(flag(args, 'seconds', '5')) * 1000;
  const rounds = Number(flag(args, 'rounds', '15'));
  if (process.getuid?.() !== 0)
    throw new Error('the service benchmark needs root (pod network namespaces)');
  const cluster = await startTestCluster({
    agent: { runtime: 'process', nodeName: 'bench-svc', network: { proxyMode: mode } },
  });
  const client = new RestClient({
    server: cluster.url,
    token: cluster.token,
    caPem: cluster.caPem,
  });
  const pod = (name: string, labels: Record<string, string>, readyFile = false) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image: 'node',
          command: [process.execPath, '-e', SERVER],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          ports: [{ containerPort: 8080 }],
          readinessProbe: readyFile
            ? {
                exec: { command: ['test', '-f', `/tmp/wharf-bench-ready-${name}`] },
                periodSeconds: 1,
              }
            : { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  });
  const service = (name: string, selector: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const waitReady = async (name: string): Promise<Pod> => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const p = await client.get<Pod>(PODS, 'default', name);
      if (isReady(p)) return p;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`pod ${name} not Ready within 60 s`);
  };
  try {
    process.stderr.write(`service bench (${mode}): starting the backend pod\n`);
    await client.create(PODS, 'default', pod('web', { app: 'web' }));
    await client.create(SERVICES, 'default', service('web', { app: 'web' }));
    const vip = (await client.get<{ spec: { clusterIP: string } }>(SERVICES, 'default', 'web')).spec
      .clusterIP;
    const podIP = (await waitReady('web')).status!.podIP!;
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      !(await get(vip, 80).then(
        () => true,
        () => false,
      ))
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    process.stderr.write(`  HTTP keep-alive, ${connections} connections, ${ms / 1000} s each\n`);
    await load(['http', `http://${podIP}:8080/`, String(connections), '1000']); // warm-up
    const direct = await load(['http', `http://${podIP}:8080/`, String(connections), String(ms)]);
    const viaVip = await load(['http', `http://${vip}/`, String(connections), String(ms)]);
    process.stderr.write(
      `  direct ${JSON.stringify(direct)} · cluster IP ${JSON.stringify(viaVip)}\n`,
    );

    process.stderr.write(`  endpoint propagation, ${rounds} rounds\n`);
    await client.create(SERVICES, 'default', service('prop', { app: 'prop' }));
    const propVip = (await client.get<{ spec: { clusterIP: string } }>(SERVICES, 'default', 'prop'))
      .spec.clusterIP;
    const propagation: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const name = `prop-${i}`;
      await client.create(PODS, 'default', pod(name, { app: 'prop' }, true));
      // Running but not Ready: the service has no endpoint until the file appears.
      await run('touch', [`/tmp/wharf-bench-ready-${name}`]);
      await waitReady(name);
      const seen = performance.now();
      const limit = Date.now() + 10_000;
      for (;;) {
        const body = await get(propVip, 80).catch(() => '');
        if (body === name) break;
        if (Date.now() > limit) throw new Error(`${name} never answered on the cluster IP`);
        await new Promise((r) => setTimeout(r, 2));
      }
      propagation.push(performance.now() - seen);
      await client.delete(PODS, 'default', name, { gracePeriodSeconds: 0 });
      await run('rm', ['-f', `/tmp/wharf-bench-ready-${name}`]);
      // The old endpoint must be gone before the next round.
      const gone = Date.now() + 10_000;
      while (Date.now() < gone && (await get(propVip, 80).catch(() => '')) === name) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }

    process.stderr.write('  cluster DNS\n');
    const dnsAddress = '10.89.0.1';
    const dns = await load([
      'dns',
      dnsAddress,
      '53',
      'web.default.svc.cluster.local',
      '16',
      String(ms),
    ]);
    return {
      mode,
      vip_rps: viaVip.rps,
      direct_rps: direct.rps,
      ratio: round(viaVip.rps! / direct.rps!),
      vip_p99_ms: viaVip.p99_ms,
      direct_p99_ms: direct.p99_ms,
      propagation_p50_ms: round(quantile(propagation, 0.5)),
      propagation_p99_ms: round(quantile(propagation, 0.99)),
      dns_qps: dns.qps,
      dns_p99_ms: dns.p99_ms,
    };
  } finally {
    await cluster.close();
  }
}
