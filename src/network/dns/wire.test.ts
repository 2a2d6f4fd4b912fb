import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket, { type Packet } from 'dns-packet';
import { answer } from './resolver.ts';
import { fixtureDirectory } from './test-fixtures.ts';
import { encodePacket } from './wire.ts';

// The compressing encoder must say exactly what dns-packet's plain one says.

const dir = fixtureDirectory();
const responseTo = (name: string, type: string): Packet => {
  const got = answer({ name, type } as never, dir)!;
  return {
    type: 'response',
    id: 4242,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER |
      dnsPacket.RECURSION_DESIRED |
      (got.rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ name, type } as never],
    answers: got.answers,
    authorities: got.authorities,
    additionals: [
      ...got.additionals,
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  };
};

describe('encodePacket', () => {
  const cases: [string, string][] = [
    ['Web.Default.svc.cluster.local', 'A'],
    ['dual.default.svc.cluster.local', 'AAAA'],
    ['db.data.svc.cluster.local', 'A'],
    ['ext.default.svc.cluster.local', 'A'],
    ['_pg._tcp.db.data.svc.cluster.local', 'SRV'],
    ['nope.default.svc.cluster.local', 'A'],
    ['cluster.local', 'NS'],
    ['10.0.96.10.in-addr.arpa', 'PTR'],
    ['db.data.svc.cluster.local', 'MX'],
  ];
  for (const [name, type] of cases) {
    it(`encodes ${name} ${type} as dns-packet does, no larger`, () => {
      const packet = responseTo(name, type);
      const compressed = encodePacket(packet);
      const plain = dnsPacket.encode(packet);
      assert.deepEqual(dnsPacket.decode(compressed), dnsPacket.decode(plain));
      assert.ok(compressed.length <= plain.length);
    });
  }

  it('compresses repeated owner names to 2-byte pointers', () => {
    const packet = responseTo('db.data.svc.cluster.local', 'A');
    const saved = dnsPacket.encode(packet).length - encodePacket(packet).length;
    assert.equal(saved, 2 * ('db.data.svc.cluster.local'.length + 2 - 2));
  });

  it('falls back to dns-packet for types it does not know', () => {
    const packet: Packet = {
      type: 'response',
      id: 1,
      questions: [{ name: 'x.example', type: 'TXT' }],
      answers: [{ type: 'TXT', name: 'x.example', ttl: 1, data: 'hello' }],
    };
    assert.deepEqual(encodePacket(packet), dnsPacket.encode(packet));
  });
});
