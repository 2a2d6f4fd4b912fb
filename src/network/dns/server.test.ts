import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { staticDirectory } from './directory.ts';
import { ClusterDnsServer, startClusterDns } from './server.ts';
import { endpointSlice, fixtureObjects, service } from './test-fixtures.ts';
import {
  dataOf,
  LOOPBACK,
  queryPacket,
  rcodeOf,
  tcpQuery,
  tcpRaw,
  udpQuery,
  udpRaw,
} from './test-sockets.ts';

// The server on loopback, port 0, answering from the zone; forwarding has its own file.

/** A headless service with 60 endpoints: 60 A records (~1 kB) need TCP or EDNS. */
const wide = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.2.0.${i}`] }));
const objects = [
  ...fixtureObjects,
  service('default', 'wide', { clusterIP: 'None' }),
  endpointSlice('default', 'wide-1', 'wide', { endpoints: wide }),
];
const quiet = { info() {}, warn() {}, error() {} };

describe('ClusterDnsServer on loopback', () => {
  let server: ClusterDnsServer;
  let port: number;

  before(async () => {
    server = await startClusterDns({
      directory: staticDirectory(objects),
      listen: [{ host: LOOPBACK, port: 0 }],
      upstreams: [],
      logger: quiet,
    });
    port = server.addresses[0]!.port;
  });
  after(() => server.close());

  it('reports the port it bound', () => {
    assert.equal(server.addresses.length, 1);
    assert.equal(server.addresses[0]!.host, LOOPBACK);
    assert.ok(port > 0);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    const ask = transport === 'udp' ? udpQuery : tcpQuery;

    it(`answers a service over ${transport}, authoritative, ID and question echoed`, async () => {
      const query = queryPacket('Web.Default.svc.cluster.local', 'A');
      const reply = await ask(port, query);
      assert.equal(reply.id, query.id);
      assert.equal(reply.type, 'response');
      assert.equal(rcodeOf(reply), 'NOERROR');
      assert.ok(reply.flag_aa && reply.flag_rd && reply.flag_ra);
      assert.deepEqual(reply.questions, [
        { name: 'Web.Default.svc.cluster.local', type: 'A', class: 'IN' },
      ]);
      assert.deepEqual(dataOf(reply.answers), ['A "10.96.0.10"']);
      assert.equal(reply.answers![0]!.type === 'A' && reply.answers![0]!.ttl, 5);
    });

    it(`answers NXDOMAIN with the SOA over ${transport}`, async () => {
      const reply = await ask(port, queryPacket('nope.default.svc.cluster.local', 'A'));
      assert.equal(rcodeOf(reply), 'NXDOMAIN');
      assert.deepEqual(
        reply.authorities?.map((a) => `${a.name} ${a.type}`),
        ['cluster.local SOA'],
      );
    });

    it(`answers SRV with the targets' addresses over ${transport}`, async () => {
      const reply = await ask(port, queryPacket('_pg._tcp.db.data.svc.cluster.local', 'SRV'));
      assert.equal(reply.answers?.length, 2);
      assert.deepEqual(
        reply.additionals?.map((a) => a.name),
        ['db-0.db.data.svc.cluster.local', '10-1-0-7.db.data.svc.cluster.local'],
      );
    });
  }

  it('truncates a UDP answer over 512 bytes, and TCP carries all of it', async () => {
    const name = 'wide.default.svc.cluster.local';
    const udp = await udpQuery(port, queryPacket(name, 'A'));
    assert.ok(udp.flag_tc, 'TC set');
    assert.deepEqual(udp.answers, []);
    assert.equal(udp.questions?.[0]?.name, name);
    const tcp = await tcpQuery(port, queryPacket(name, 'A'));
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 60);
  });

  it('honours the EDNS size a UDP client advertises, and answers with an OPT', async () => {
    const opt = {
      type: 'OPT' as const,
      name: '.',
      udpPayloadSize: 4096,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    };
    const reply = await udpQuery(
      port,
      queryPacket('wide.default.svc.cluster.local', 'A', { additionals: [opt] }),
    );
    assert.equal(reply.flag_tc, false);
    assert.equal(reply.answers?.length, 60);
    const served = reply.additionals?.find((a) => a.type === 'OPT');
    assert.equal(served?.type === 'OPT' && served.udpPayloadSize, 1232);
  });

  it('answers two pipelined TCP queries on one connection', async () => {
    const a = queryPacket('web.default.svc.cluster.local', 'A');
    const b = queryPacket('dual.default.svc.cluster.local', 'AAAA');
    const replies = await tcpRaw(
      port,
      Buffer.concat([dnsPacket.streamEncode(a), dnsPacket.streamEncode(b)]),
      2,
    );
    const byId = new Map(replies.map((r) => dnsPacket.decode(r)).map((p) => [p.id, p]));
    assert.deepEqual(dataOf(byId.get(a.id)?.answers), ['A "10.96.0.10"']);
    assert.deepEqual(dataOf(byId.get(b.id)?.answers), ['AAAA "fd00::b"']);
  });

  it('survives malformed messages: FORMERR when the header is readable, silence otherwise', async () => {
    const before = server.stats;
    assert.equal(await udpRaw(port, Buffer.from('hello'), 300), undefined, 'short: dropped');

    // A header that promises a question and carries none.
    const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    const formerr = dnsPacket.decode((await udpRaw(port, header))!);
    assert.equal(formerr.id, 0xabcd);
    assert.equal(rcodeOf(formerr), 'FORMERR');

    // A name whose compression pointer points at itself.
    const loop = Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    assert.equal(rcodeOf(dnsPacket.decode((await udpRaw(port, loop))!)), 'FORMERR');

    // Random bytes over TCP, framed.
    const garbage = Buffer.from([0, 20, ...Array.from({ length: 20 }, (_, i) => (i * 37) & 255)]);
    const [tcpReply] = await tcpRaw(port, garbage);
    assert.ok(tcpReply === undefined || rcodeOf(dnsPacket.decode(tcpReply)) === 'FORMERR');

    // A response is never answered: that way lie loops.
    const response = dnsPacket.encode({ type: 'response', id: 7, questions: [] });
    assert.equal(await udpRaw(port, response, 300), undefined);

    const reply = await udpQuery(port, queryPacket('web.default.svc.cluster.local', 'A'));
    assert.deepEqual(dataOf(reply.answers), ['A "10.96.0.10"'], 'still serving');
    const after = server.stats;
    assert.ok(after.formerr >= before.formerr + 2);
    assert.ok(after.dropped >= before.dropped + 2);
  });

  it('answers FORMERR to two questions and NOTIMP to another opcode', async () => {
    const two = queryPacket('web.default.svc.cluster.local', 'A');
    two.questions!.push({ name: 'dual.default.svc.cluster.local', type: 'A' });
    assert.equal(rcodeOf(await udpQuery(port, two)), 'FORMERR');
    const status = queryPacket('web.default.svc.cluster.local', 'A');
    status.flags = (status.flags ?? 0) | (2 << 11);
    assert.equal(rcodeOf(await udpQuery(port, status)), 'NOTIMP');
  });

  it('counts what it did', () => {
    const stats = server.stats;
    assert.ok(stats.queries > 10);
    assert.ok(stats.local > 5);
    assert.ok(stats.nxdomain >= 2);
    assert.ok(stats.truncated >= 1);
    assert.equal(stats.forwarded, 0);
  });
});

describe('ClusterDnsServer lifetime', () => {
  it('serves several addresses on port 0, UDP and TCP on the same port each', async () => {
    const server = await startClusterDns({
      directory: staticDirectory(objects),
      listen: [
        { host: LOOPBACK, port: 0 },
        { host: LOOPBACK, port: 0 },
      ],
      upstreams: [],
      logger: quiet,
    });
    try {
      const ports = server.addresses.map((a) => a.port);
      assert.equal(new Set(ports).size, 2);
      for (const p of ports) {
        const q = queryPacket('web.default.svc.cluster.local', 'A');
        assert.deepEqual(dataOf((await udpQuery(p, q)).answers), ['A "10.96.0.10"']);
        assert.deepEqual(dataOf((await tcpQuery(p, q)).answers), ['A "10.96.0.10"']);
      }
    } finally {
      await server.close();
    }
    await server.close();
  });

  it('fails to start on a taken port, saying which, and leaves nothing bound', async () => {
    const first = await startClusterDns({
      directory: staticDirectory([]),
      listen: [{ host: LOOPBACK, port: 0 }],
      upstreams: [],
      logger: quiet,
    });
    try {
      const taken = first.addresses[0]!.port;
      const second = new ClusterDnsServer({
        directory: staticDirectory([]),
        listen: [
          { host: LOOPBACK, port: 0 },
          { host: LOOPBACK, port: taken },
        ],
        upstreams: [],
        logger: quiet,
      });
      await assert.rejects(second.start(), new RegExp(`udp 127\\.0\\.0\\.1:${taken}.*EADDRINUSE`));
      assert.deepEqual(second.addresses, []);
    } finally {
      await first.close();
    }
  });
});
