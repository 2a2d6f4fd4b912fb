import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../k8s-types.ts';
import { parseResolvConf } from '../../network/index.ts';
import { podDnsConfig, resolverOf } from './pod-dns.ts';

// The kubelet's choice of resolver per dnsPolicy, as a table.

const host = resolverOf(
  parseResolvConf('# generated\nnameserver 192.0.2.53\nsearch corp.test\noptions edns0\n'),
);
const cluster = { servers: ['10.88.0.1'], domain: 'cluster.local' };
const pod = (spec: Partial<NonNullable<Pod['spec']>>, ns = 'shop'): Pod => ({
  metadata: { name: 'p', namespace: ns },
  spec: { containers: [{ name: 'c' }], ...spec },
});

describe('podDnsConfig', () => {
  const cases: { name: string; pod: Pod; cluster?: typeof cluster; want: unknown }[] = [
    {
      name: 'ClusterFirst: cluster DNS, namespace search list, ndots:5, host searches after',
      pod: pod({}),
      cluster,
      want: {
        servers: ['10.88.0.1'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.test'],
        options: ['ndots:5'],
      },
    },
    {
      name: 'ClusterFirst on the host network uses the node resolver',
      pod: pod({ hostNetwork: true }),
      cluster,
      want: undefined,
    },
    {
      name: 'ClusterFirstWithHostNet on the host network uses cluster DNS',
      pod: pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }),
      cluster,
      want: {
        servers: ['10.88.0.1'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.test'],
        options: ['ndots:5'],
      },
    },
    {
      name: 'ClusterFirst without a cluster DNS falls back to the node resolver',
      pod: pod({}),
      want: undefined,
    },
    {
      name: 'Default uses the node resolver',
      pod: pod({ dnsPolicy: 'Default' }),
      cluster,
      want: undefined,
    },
    {
      name: 'Default with dnsConfig starts from the node resolver',
      pod: pod({ dnsPolicy: 'Default', dnsConfig: { searches: ['extra.test'] } }),
      cluster,
      want: { servers: ['192.0.2.53'], searches: ['corp.test', 'extra.test'], options: ['edns0'] },
    },
    {
      name: 'None uses only dnsConfig',
      pod: pod({
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['192.0.2.1'],
          searches: ['a.test'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      }),
      cluster,
      want: { servers: ['192.0.2.1'], searches: ['a.test'], options: ['ndots:2', 'edns0'] },
    },
    {
      name: 'dnsConfig options override the defaults by name',
      pod: pod({ dnsConfig: { options: [{ name: 'ndots', value: '1' }] } }),
      cluster,
      want: {
        servers: ['10.88.0.1'],
        searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.test'],
        options: ['ndots:1'],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(podDnsConfig(c.pod, c.cluster, host), c.want);
    });
  }
});
