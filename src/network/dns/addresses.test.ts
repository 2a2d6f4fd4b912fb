import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalIP, dashedIP, ipFromDashed, ipFromReverseName } from './addresses.ts';

describe('addresses', () => {
  it('canonicalises IPv6 and keeps IPv4', () => {
    const table: [string, string | undefined][] = [
      ['10.0.0.1', '10.0.0.1'],
      ['fd00::b', 'fd00:0000:0000:0000:0000:0000:0000:000b'],
      ['FD00:0:0:0:0:0:0:B', 'fd00:0000:0000:0000:0000:0000:0000:000b'],
      ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'],
      ['::ffff:10.0.0.1', '0000:0000:0000:0000:0000:ffff:0a00:0001'],
      ['not-an-ip', undefined],
    ];
    for (const [ip, want] of table) assert.equal(canonicalIP(ip), want, ip);
  });

  it('spells addresses dashed and back', () => {
    assert.equal(dashedIP('10.1.0.7'), '10-1-0-7');
    assert.equal(dashedIP('fd00::1'), 'fd00--1');
    assert.equal(ipFromDashed('10-1-0-7'), '10.1.0.7');
    assert.equal(ipFromDashed('fd00--1'), 'fd00::1');
    assert.equal(ipFromDashed('10-1-0'), undefined);
    assert.equal(ipFromDashed('db-0'), undefined);
  });

  it('reads reverse names, refusing partial and malformed ones', () => {
    const table: [string, string | undefined][] = [
      ['4.3.2.1.in-addr.arpa', '1.2.3.4'],
      ['4.3.2.1.IN-ADDR.ARPA.', '1.2.3.4'],
      ['3.2.1.in-addr.arpa', undefined],
      ['256.3.2.1.in-addr.arpa', undefined],
      ['04.3.2.1.in-addr.arpa', undefined],
      [
        'b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa',
        'fd00:0000:0000:0000:0000:0000:0000:000b',
      ],
      ['b.0.d.f.ip6.arpa', undefined],
      ['example.com', undefined],
    ];
    for (const [name, want] of table) assert.equal(ipFromReverseName(name), want, name);
  });
});
