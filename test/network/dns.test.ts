import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { InformerFactory, RestClient } from '../../src/client/index.ts';
import {
  informerDirectory,
  startClusterDns,
  type ClusterDnsServer,
} from '../../src/network/dns/index.ts';
import { startTestCluster, type TestCluster } from '../support/cluster.ts';
import { tcpQuery, udpQuery } from '../../src/network/dns/test-sockets.ts';

// Cluster DNS against a real API server: Services and EndpointSlices written through the
// API reach the answers through the informers. The services have no selector, so no
// controller manages their slices but this test.

const SERVICES = { group: '', version: 'v1', resource: 'services', namespaced: true };
const SLICES = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  namespaced: true,
};
const quiet = { info() {}, warn() {}, error() {} };

describe('cluster DNS over a real API server', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let client: RestClient;
  let factory: InformerFactory;
  let dns: ClusterDnsServer;
  let port: number;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);

  before(async () => {
    cluster = await startTestCluster();
    client = new RestClient({ server: cluster.url, token: cluster.token, caPem: cluster.caPem });
    factory = new InformerFactory(client, { logger: quiet });
    const directory = informerDirectory(factory);
    factory.start(stop.signal);
    assert.ok(await factory.waitForSync(AbortSignal.timeout(30_000)), 'informers synced');
    dns = await startClusterDns({
      directory,
      listen: [{ host: '127.0.0.1', port: 0 }],
      upstreams: [],
      logger: quiet,
    });
    port = dns.addresses[0]!.port;
  });

  after(async () => {
    await dns?.close();
    stop.abort();
    await factory?.stop();
    client?.close();
    await cluster?.close();
  });

  /** Asks until the answer satisfies `ok` (the informers trail the API by a moment). */
  async function resolve(
    name: string,
    type: string,
    ok: (reply: DecodedPacket) => boolean,
  ): Promise<DecodedPacket> {
    const deadline = Date.now() + 20_000;
    let reply: DecodedPacket;
    do {
      reply = await udpQuery(port, {
        type: 'query',
        id: 1,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name, type: type as 'A' }],
      });
      if (ok(reply)) return reply;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    assert.fail(`${name} ${type}: still ${JSON.stringify(reply.answers)} (${rcode(reply)})`);
  }
  const rcode = (p: DecodedPacket) => (p as DecodedPacket & { rcode: string }).rcode;
  const data = (p: DecodedPacket) => (p.answers ?? []).map((a) => (a as { data: unknown }).data);

  it('answers a ClusterIP service with the IP the API server allocated', async () => {
    const svc = await client.create<any>(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    const ip = svc.spec.clusterIP;
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const reply = await resolve('web.default.svc.cluster.local', 'A', (r) => data(r).length > 0);
    assert.deepEqual(data(reply), [ip]);
    assert.ok(reply.flag_aa);

    const srv = await tcpQuery(port, {
      type: 'query',
      id: 2,
      questions: [{ name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV' }],
    });
    assert.deepEqual(data(srv), [
      { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
    ]);

    const reverse = ip.split('.').reverse().join('.') + '.in-addr.arpa';
    const ptr = await resolve(reverse, 'PTR', (r) => data(r).length > 0);
    assert.deepEqual(data(ptr), ['web.default.svc.cluster.local']);
  });

  it('answers a headless service with the ready endpoints of its EndpointSlice', async () => {
    await client.create(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
    });
    await client.create(SLICES, 'default', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'db-1',
        labels: {
          'kubernetes.io/service-name': 'db',
          'endpointslice.kubernetes.io/managed-by': 'wharf-dns-test',
        },
      },
      addressType: 'IPv4',
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.0.6'], conditions: { ready: false } },
      ],
    });
    const reply = await resolve('db.default.svc.cluster.local', 'A', (r) => data(r).length > 0);
    assert.deepEqual(data(reply), ['10.244.0.5']);
    const host = await udpQuery(port, {
      type: 'query',
      id: 3,
      questions: [{ name: 'db-0.db.default.svc.cluster.local', type: 'A' }],
    });
    assert.deepEqual(data(host), ['10.244.0.5']);

    // The second endpoint turns ready: the answer follows the slice.
    const slice = await client.get<any>(SLICES, 'default', 'db-1');
    slice.endpoints[1].conditions.ready = true;
    await client.update(SLICES, 'default', 'db-1', slice);
    const both = await resolve('db.default.svc.cluster.local', 'A', (r) => data(r).length === 2);
    assert.deepEqual(data(both), ['10.244.0.5', '10.244.0.6']);
  });

  it('answers NXDOMAIN once a service is deleted, and NODATA for its namespace', async () => {
    await client.create(SERVICES, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gone' },
      spec: { type: 'ExternalName', externalName: 'gone.example' },
    });
    const cname = await resolve(
      'gone.default.svc.cluster.local',
      'CNAME',
      (r) => data(r).length > 0,
    );
    assert.deepEqual(data(cname), ['gone.example']);
    await client.delete(SERVICES, 'default', 'gone');
    await resolve('gone.default.svc.cluster.local', 'A', (r) => rcode(r) === 'NXDOMAIN');
    const ns = await udpQuery(port, {
      type: 'query',
      id: 4,
      questions: [{ name: 'default.svc.cluster.local', type: 'A' }],
    });
    assert.equal(rcode(ns), 'NOERROR');
    assert.deepEqual(ns.answers, []);
  });
});
