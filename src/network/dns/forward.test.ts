import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Answer } from 'dns-packet';
import { staticDirectory } from './directory.ts';
import { startClusterDns, type ClusterDnsOptions } from './server.ts';
import { fixtureObjects } from './test-fixtures.ts';
import {
  dataOf,
  LOOPBACK,
  queryPacket,
  rcodeOf,
  startFakeUpstream,
  startSilentUpstream,
  tcpQuery,
  udpQuery,
  type FakeUpstream,
} from './test-sockets.ts';

// Names outside the zone go to upstream resolvers: fakes on 127.0.0.1, never anything else.

const quiet = { info() {}, warn() {}, error() {} };
const a = (name: string, ip: string): Answer => ({ type: 'A', name, ttl: 60, data: ip });
const records: Record<string, Answer[]> = {
  'example.test': [a('example.test', '192.0.2.1')],
  'example.com': [a('example.com', '192.0.2.2')],
};

async function withServer(
  opts: Partial<ClusterDnsOptions>,
  run: (port: number, server: Awaited<ReturnType<typeof startClusterDns>>) => Promise<void>,
): Promise<void> {
  const server = await startClusterDns({
    directory: staticDirectory(fixtureObjects),
    listen: [{ host: LOOPBACK, port: 0 }],
    upstreamTimeoutMs: 300,
    logger: quiet,
    ...opts,
  });
  try {
    await run(server.addresses[0]!.port, server);
  } finally {
    await server.close();
  }
}

describe('forwarding upstream', () => {
  let upstream: FakeUpstream;
  let silent: Awaited<ReturnType<typeof startSilentUpstream>>;

  before(async () => {
    upstream = await startFakeUpstream(records);
    silent = await startSilentUpstream();
  });
  after(async () => {
    await upstream.close();
    await silent.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`forwards a name outside the zone over ${transport}, answer and ID intact`, async () => {
      const ask = transport === 'udp' ? udpQuery : tcpQuery;
      await withServer(
        { upstreams: [{ host: LOOPBACK, port: upstream.port }] },
        async (port, s) => {
          const query = queryPacket('Example.Test', 'A');
          const reply = await ask(port, query);
          assert.equal(reply.id, query.id);
          assert.equal(rcodeOf(reply), 'NOERROR');
          assert.equal(reply.flag_aa, false, 'not our zone: not authoritative');
          assert.deepEqual(dataOf(reply.answers), ['A "192.0.2.1"']);
          assert.equal(s.stats.forwarded, 1);
        },
      );
    });
  }

  it('passes the upstream’s NXDOMAIN through', async () => {
    await withServer({ upstreams: [{ host: LOOPBACK, port: upstream.port }] }, async (port) => {
      assert.equal(rcodeOf(await udpQuery(port, queryPacket('nope.test', 'A'))), 'NXDOMAIN');
    });
  });

  it('falls back to the next upstream when one does not answer', async () => {
    const upstreams = [
      { host: LOOPBACK, port: silent.port },
      { host: LOOPBACK, port: upstream.port },
    ];
    await withServer({ upstreams }, async (port, s) => {
      const reply = await udpQuery(port, queryPacket('example.test', 'A'));
      assert.deepEqual(dataOf(reply.answers), ['A "192.0.2.1"']);
      assert.equal(s.stats.upstreamFailures, 1);
    });
  });

  it('answers SERVFAIL when every upstream fails, and keeps serving the zone', async () => {
    const upstreams = [{ host: LOOPBACK, port: silent.port }];
    await withServer({ upstreams }, async (port, s) => {
      assert.equal(rcodeOf(await udpQuery(port, queryPacket('example.test', 'A'))), 'SERVFAIL');
      assert.equal(rcodeOf(await tcpQuery(port, queryPacket('example.test', 'A'))), 'SERVFAIL');
      const local = await udpQuery(port, queryPacket('web.default.svc.cluster.local', 'A'));
      assert.deepEqual(dataOf(local.answers), ['A "10.96.0.10"']);
      assert.equal(s.stats.servfail, 2);
    });
  });

  it('answers SERVFAIL without upstreams at all', async () => {
    await withServer({ upstreams: [] }, async (port) => {
      assert.equal(rcodeOf(await udpQuery(port, queryPacket('example.test', 'A'))), 'SERVFAIL');
    });
  });

  it('follows an ExternalName’s CNAME upstream', async () => {
    await withServer({ upstreams: [{ host: LOOPBACK, port: upstream.port }] }, async (port) => {
      const reply = await udpQuery(port, queryPacket('ext.default.svc.cluster.local', 'A'));
      assert.equal(rcodeOf(reply), 'NOERROR');
      assert.deepEqual(dataOf(reply.answers), ['CNAME "example.com"', 'A "192.0.2.2"']);
    });
  });

  it('reads its upstreams from a resolv.conf', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-dns-'));
    const resolvConfPath = path.join(dir, 'resolv.conf');
    fs.writeFileSync(resolvConfPath, 'nameserver 127.0.0.1\nnameserver 127.0.0.2\n');
    try {
      await withServer({ resolvConfPath }, async (_port, s) => {
        assert.deepEqual(s.upstreams, [
          { host: '127.0.0.1', port: 53 },
          { host: '127.0.0.2', port: 53 },
        ]);
      });
      await withServer({ resolvConfPath: path.join(dir, 'missing') }, async (_port, s) => {
        assert.deepEqual(s.upstreams, []);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forwarding a truncated answer', () => {
  let upstream: FakeUpstream;
  before(async () => {
    upstream = await startFakeUpstream(records, { truncateUdp: true });
  });
  after(() => upstream.close());

  it('hands a UDP client the TC bit, and fetches over TCP for a TCP client', async () => {
    await withServer({ upstreams: [{ host: LOOPBACK, port: upstream.port }] }, async (port) => {
      const udp = await udpQuery(port, queryPacket('example.test', 'A'));
      assert.equal(udp.flag_tc, true);
      const tcp = await tcpQuery(port, queryPacket('example.test', 'A'));
      assert.equal(tcp.flag_tc, false);
      assert.deepEqual(dataOf(tcp.answers), ['A "192.0.2.1"']);
      assert.deepEqual(upstream.asked, [
        'example.test A udp',
        'example.test A udp',
        'example.test A tcp',
      ]);
    });
  });
});
