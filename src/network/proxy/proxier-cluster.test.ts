import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { InformerFactory, RestClient, type Logger } from '../../client/index.ts';
import { FakeDataPlane } from './fake-data-plane.ts';
import { ENDPOINT_SLICES, SERVICES, ServiceProxy } from './proxier.ts';
import type { ProxyTable } from './types.ts';

// The controller against a real API server: Services and EndpointSlices written through
// the API reach the data plane, well within half a second of the write.

const NS = 'proxy-test';
const PROPAGATION_MS = 500;
let cluster: TestCluster;
let client: RestClient;
let proxy: ServiceProxy;
const dataPlane = new FakeDataPlane();
const stop = new AbortController();
const log: Logger = { info: () => {}, warn: console.warn, error: console.error };

before(
  async () => {
    cluster = await startTestCluster();
    client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
    await client.create(
      { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
      '',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    );
    const informers = new InformerFactory(client, { logger: log });
    proxy = new ServiceProxy({ informers, nodeName: 'node-a', dataPlane, log });
    await proxy.start(stop.signal);
  },
  { timeout: 30_000 },
);

after(async () => {
  stop.abort();
  await proxy?.close();
  client?.close();
  await cluster?.close();
});

/** Runs `write`, then waits for a table that `until` accepts; answers it and the delay. */
async function propagate(write: () => Promise<unknown>, until: (t: ProxyTable) => boolean) {
  const started = Date.now();
  await write();
  const table = await dataPlane.waitFor(until);
  return { table, ms: Date.now() - started };
}
const web = (t: ProxyTable) => t.services.find((s) => s.id === `${NS}/web:http`);

describe('ServiceProxy against the API server', { timeout: 30_000 }, () => {
  it('routes a new service and its endpoints, then follows readiness and deletion', async (t) => {
    const created = await propagate(
      () =>
        client.create(SERVICES, NS, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web' },
          spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        }),
      (t) => web(t) !== undefined,
    );
    const rule = web(created.table)!;
    assert.equal(rule.clusterIPs.length, 1, 'a cluster IP was allocated');
    assert.ok(rule.nodePort > 0, 'a node port was allocated');
    assert.deepEqual(rule.endpoints, []);
    assert.ok(created.ms < PROPAGATION_MS, `service took ${created.ms} ms`);

    const slice = (ready: boolean) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.201.0.2'], nodeName: 'node-a', conditions: { ready } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const routed = await propagate(
      () => client.create(ENDPOINT_SLICES, NS, slice(true)),
      (t) => web(t)?.endpoints.length === 1,
    );
    assert.deepEqual(web(routed.table)!.endpoints, [
      { ip: '10.201.0.2', port: 8080, nodeName: 'node-a', isLocal: true },
    ]);
    assert.ok(routed.ms < PROPAGATION_MS, `endpoints took ${routed.ms} ms`);

    const unready = await propagate(
      async () => {
        const current = await client.get(ENDPOINT_SLICES, NS, 'web-1');
        await client.update(ENDPOINT_SLICES, NS, 'web-1', {
          ...slice(false),
          metadata: current.metadata,
        });
      },
      (t) => web(t)?.endpoints.length === 0,
    );
    assert.ok(unready.ms < PROPAGATION_MS, `readiness took ${unready.ms} ms`);

    const deleted = await propagate(
      () => client.delete(SERVICES, NS, 'web'),
      (t) => web(t) === undefined,
    );
    assert.ok(deleted.ms < PROPAGATION_MS, `deletion took ${deleted.ms} ms`);
    assert.ok(proxy.lastSyncedAt !== undefined);
    t.diagnostic(
      `propagation ms: service ${created.ms}, endpoints ${routed.ms}, ` +
        `readiness ${unready.ms}, deletion ${deleted.ms}`,
    );
  });
});
