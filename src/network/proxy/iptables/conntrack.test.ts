import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyTable, ServicePortRule } from '../types.ts';
import { staleUdpFlows } from './conntrack.ts';

const udp = (over: Partial<ServicePortRule> = {}): ServicePortRule => ({
  id: 'ns/dns:dns',
  namespace: 'ns',
  name: 'dns',
  portName: 'dns',
  protocol: 'UDP',
  clusterIPs: ['10.96.0.10'],
  port: 53,
  nodePort: 0,
  externalIPs: [],
  loadBalancerIPs: [],
  sessionAffinity: null,
  externalLocalOnly: false,
  internalLocalOnly: false,
  endpoints: [],
  ...over,
});
const eps = (...ips: string[]) => ips.map((ip) => ({ ip, port: 5353, isLocal: true }));
const table = (...services: ServicePortRule[]): ProxyTable => ({ services });

describe('staleUdpFlows', () => {
  it('nothing on the first apply, or when the endpoints stay', () => {
    assert.deepEqual(staleUdpFlows(undefined, table(udp({ endpoints: eps('10.1.0.1') }))), []);
    const same = table(udp({ endpoints: eps('10.1.0.1') }));
    assert.deepEqual(staleUdpFlows(same, structuredClone(same)), []);
  });

  it('flows to a removed endpoint, by every service address and by node port', () => {
    const prev = table(
      udp({
        endpoints: eps('10.1.0.1', '10.1.0.2'),
        nodePort: 30053,
        externalIPs: ['192.0.2.9'],
        loadBalancerIPs: ['192.0.2.10', '2001:db8::1'],
      }),
    );
    const next = structuredClone(prev);
    next.services[0]!.endpoints = eps('10.1.0.2');
    assert.deepEqual(staleUdpFlows(prev, next), [
      ['--orig-dst', '10.96.0.10', '-p', 'udp', '--dport', '53', '--dst-nat', '10.1.0.1'],
      ['--orig-dst', '192.0.2.10', '-p', 'udp', '--dport', '53', '--dst-nat', '10.1.0.1'],
      ['--orig-dst', '192.0.2.9', '-p', 'udp', '--dport', '53', '--dst-nat', '10.1.0.1'],
      ['-p', 'udp', '--dport', '30053', '--dst-nat', '10.1.0.1'],
    ]);
  });

  it("a deleted service's endpoints too", () => {
    const prev = table(udp({ endpoints: eps('10.1.0.1') }));
    assert.deepEqual(staleUdpFlows(prev, table()), [
      ['--orig-dst', '10.96.0.10', '-p', 'udp', '--dport', '53', '--dst-nat', '10.1.0.1'],
    ]);
  });

  it('every flow of a service that gets its first endpoint (they were rejected)', () => {
    const prev = table(udp({ nodePort: 30053 }));
    const next = table(udp({ nodePort: 30053, endpoints: eps('10.1.0.1') }));
    assert.deepEqual(staleUdpFlows(prev, next), [
      ['--orig-dst', '10.96.0.10', '-p', 'udp', '--dport', '53'],
      ['-p', 'udp', '--dport', '30053'],
    ]);
  });

  it('leaves TCP alone: a dead endpoint ends its connections itself', () => {
    const prev = table(udp({ protocol: 'TCP', endpoints: eps('10.1.0.1') }));
    assert.deepEqual(staleUdpFlows(prev, table(udp({ protocol: 'TCP' }))), []);
  });
});
