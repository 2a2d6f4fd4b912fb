import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { KUBECTL, kubectl } from '../support/kubectl.ts';

// A grpc readiness probe end to end, through the real kubectl, on the process runtime:
// the pod runs a small gRPC health server (test/fixtures/grpc) with this test's node, and
// flips it to NOT_SERVING by creating a file the server looks for.

type Json = Record<string, any>;

const SERVER = fileURLToPath(new URL('../fixtures/grpc/health-server.mjs', import.meta.url));
const WAIT_MS = 60_000;
const node = 'agent-grpc';

/** Pods share the host network when not root: the server's port must be free here too. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('gRPC readiness probe on the process runtime', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let flagDir: string;
  const k = (args: string[], input?: string) =>
    kubectl(KUBECTL, cluster.kubectlArgs, args, { ...(input ? { input } : {}), timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const waitPod = async (name: string, test: (p: Json) => boolean, what: string) => {
    const deadline = Date.now() + WAIT_MS;
    let last: Json = {};
    while (Date.now() < deadline) {
      last = JSON.parse(await ok(['get', 'pod', name, '-o', 'json']));
      if (test(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`pod ${name} never became ${what}; last status: ${JSON.stringify(last.status)}`);
  };
  const ready = (p: Json) =>
    p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True');

  before(async () => {
    flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-grpc-'));
    cluster = await startTestCluster({ agent: { runtime: 'process', nodeName: node } });
  });
  after(async () => {
    await k(['delete', 'pods', '--all', '--grace-period=1', '--wait=true']);
    await cluster?.close();
    fs.rmSync(flagDir, { recursive: true, force: true });
  });

  it('is Ready while the service is SERVING, and not Ready with an Unhealthy event after', async () => {
    const port = await freePort();
    const notServing = path.join(flagDir, 'not-serving');
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'grpc-health' },
        spec: {
          nodeName: node,
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'server',
              // The process runtime records the image and runs the command on the host.
              image: 'node:recorded-only',
              imagePullPolicy: 'IfNotPresent',
              command: [process.execPath, SERVER],
              env: [
                { name: 'PORT', value: String(port) },
                { name: 'SERVICE', value: 'wharf.test.Health' },
                { name: 'NOT_SERVING_FILE', value: notServing },
              ],
              readinessProbe: {
                grpc: { port, service: 'wharf.test.Health' },
                periodSeconds: 1,
                failureThreshold: 1,
              },
            },
          ],
        },
      }),
    );
    const p = await waitPod('grpc-health', ready, 'ready');
    assert.equal(p.status.containerStatuses[0].ready, true);

    fs.writeFileSync(notServing, '');
    await waitPod('grpc-health', (p) => !ready(p), 'unready');
    const described = await ok(['describe', 'pod', 'grpc-health']);
    assert.match(
      described,
      /Warning\s+Unhealthy\s+.*Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/,
    );

    fs.rmSync(notServing);
    await waitPod('grpc-health', ready, 'ready again');
  });
});
