import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResolvConf, upstreamsOf } from './resolv-conf.ts';

describe('resolv.conf', () => {
  it('reads nameservers, the last search line, options, and ignores comments', () => {
    const conf = parseResolvConf(
      [
        '# generated',
        'nameserver 127.0.0.53',
        'domain old.example',
        'search a.example b.example ; trailing comment',
        'nameserver fe80::1%eth0',
        'options edns0 trust-ad',
        'sortlist 10.0.0.0',
        'nameserver',
      ].join('\n'),
    );
    assert.deepEqual(conf, {
      nameservers: ['127.0.0.53', 'fe80::1'],
      search: ['a.example', 'b.example'],
      options: ['edns0', 'trust-ad'],
    });
  });
});

describe('upstreamsOf', () => {
  const conf = { nameservers: ['10.0.0.2', '127.0.0.1', '192.168.1.1'], search: [], options: [] };
  it('leaves out the server’s own addresses on port 53', () => {
    assert.deepEqual(
      upstreamsOf(conf, [{ host: '127.0.0.1', port: 53 }]).map((u) => u.host),
      ['10.0.0.2', '192.168.1.1'],
    );
    assert.deepEqual(
      upstreamsOf(conf, [{ host: '127.0.0.1', port: 5353 }]).map((u) => u.host),
      ['10.0.0.2', '127.0.0.1', '192.168.1.1'],
      'another port is another server',
    );
  });
  it('expands a wildcard listen to the machine’s interfaces', () => {
    assert.deepEqual(
      upstreamsOf(conf, [{ host: '0.0.0.0', port: 53 }], ['127.0.0.1', '10.0.0.2']),
      [{ host: '192.168.1.1', port: 53 }],
    );
  });
});
