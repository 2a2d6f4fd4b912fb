import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsEndpointsOf, dnsServiceOf, staticDirectory } from './directory.ts';
import { endpointSlice, fixtureDirectory, service } from './test-fixtures.ts';

describe('dnsServiceOf', () => {
  it('tells the kinds apart', () => {
    const table: [object, string, string[], string][] = [
      [{ clusterIP: '10.96.0.1' }, 'ClusterIP', ['10.96.0.1'], ''],
      [
        { clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1', 'fd00::1'] },
        'ClusterIP',
        ['10.96.0.1', 'fd00::1'],
        '',
      ],
      [{ clusterIP: 'None', clusterIPs: ['None'] }, 'Headless', [], ''],
      [
        { type: 'ExternalName', externalName: 'db.example.com.' },
        'ExternalName',
        [],
        'db.example.com',
      ],
      [{}, 'ClusterIP', [], ''],
    ];
    for (const [spec, kind, ips, external] of table) {
      const svc = dnsServiceOf(service('ns', 'a', spec));
      assert.deepEqual([svc.kind, svc.clusterIPs, svc.externalName], [kind, ips, external]);
    }
  });

  it('defaults a port’s protocol to TCP and its name to empty', () => {
    const svc = dnsServiceOf(
      service('ns', 'a', { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', name: 'dns' }] }),
    );
    assert.deepEqual(svc.ports, [
      { name: '', protocol: 'TCP', port: 80 },
      { name: 'dns', protocol: 'UDP', port: 53 },
    ]);
  });
});

describe('dnsEndpointsOf', () => {
  it('keeps ready addresses once, in slice-name order, and skips FQDN slices', () => {
    const slices = [
      endpointSlice('ns', 'b', 'svc', {
        endpoints: [
          { addresses: ['10.0.0.2'] },
          { addresses: ['10.0.0.1'], conditions: { ready: true } },
        ],
      }),
      endpointSlice('ns', 'a', 'svc', {
        endpoints: [
          { addresses: ['10.0.0.1'] },
          { addresses: ['10.0.0.3'], conditions: { ready: false } },
        ],
        ports: [{ name: 'http', port: 80 }, { name: 'all' }],
      }),
      endpointSlice('ns', 'c', 'svc', {
        addressType: 'FQDN',
        endpoints: [{ addresses: ['x.example'] }],
      }),
    ];
    const got = dnsEndpointsOf(slices);
    assert.deepEqual(
      got.map((e) => e.ip),
      ['10.0.0.1', '10.0.0.2'],
    );
    assert.deepEqual(
      got[0]!.ports,
      [{ name: 'http', protocol: 'TCP', port: 80 }],
      'a port-less slice port is no SRV target',
    );
  });
});

describe('staticDirectory', () => {
  const dir = fixtureDirectory();

  it('knows namespaces by their services', () => {
    assert.equal(dir.hasNamespace('data'), true);
    assert.equal(dir.hasNamespace('kube-system'), false);
  });

  it('finds owners of an address: cluster IPs, headless endpoints, not stray slices', () => {
    assert.deepEqual(
      dir.addressOwners('10.96.0.10').map((o) => o.service.name),
      ['web'],
    );
    assert.deepEqual(
      dir.addressOwners('FD00:0::B').map((o) => o.service.name),
      ['dual'],
    );
    assert.deepEqual(
      dir.addressOwners('10.1.0.5').map((o) => o.endpoint?.hostname),
      ['db-0'],
    );
    assert.deepEqual(dir.addressOwners('10.1.0.6'), [], 'not ready');
    assert.deepEqual(dir.addressOwners('10.1.0.99'), [], 'slice without a service');
  });

  it('does not hand out endpoints of ClusterIP services by address', () => {
    const d = staticDirectory([
      service('ns', 'web', { clusterIP: '10.96.0.1' }),
      endpointSlice('ns', 'web-1', 'web', { endpoints: [{ addresses: ['10.0.0.1'] }] }),
    ]);
    assert.deepEqual(d.addressOwners('10.0.0.1'), []);
    assert.deepEqual(
      d.endpoints('ns', 'web').map((e) => e.ip),
      ['10.0.0.1'],
    );
  });
});
