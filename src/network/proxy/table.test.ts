import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeProxyTable, type EndpointSlice, type Service } from './table.ts';
import type { ServicePortRule } from './types.ts';

type Spec = NonNullable<Service['spec']>;
type SliceEndpoint = EndpointSlice['endpoints'][number];

const NODE = 'node-a';

function svc(name: string, spec: Partial<Spec> = {}, status?: Service['status']): Service {
  return {
    metadata: { namespace: 'ns', name },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function slice(
  service: string,
  endpoints: SliceEndpoint[],
  ports: EndpointSlice['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  name = `${service}-abc`,
): EndpointSlice {
  return {
    metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

const ep = (ip: string, conditions?: SliceEndpoint['conditions'], nodeName = NODE) => ({
  addresses: [ip],
  nodeName,
  ...(conditions ? { conditions } : {}),
});

/** The rule of a one-port `web` service without endpoints, for cases to override. */
const base: ServicePortRule = {
  id: 'ns/web:http',
  namespace: 'ns',
  name: 'web',
  portName: 'http',
  protocol: 'TCP',
  clusterIPs: ['10.96.0.10'],
  port: 80,
  nodePort: 0,
  externalIPs: [],
  loadBalancerIPs: [],
  sessionAffinity: null,
  externalLocalOnly: false,
  internalLocalOnly: false,
  endpoints: [],
};
const local = (ip: string, port = 8080) => ({ ip, port, nodeName: NODE, isLocal: true });

interface Case {
  name: string;
  services: Service[];
  slices?: EndpointSlice[];
  want: ServicePortRule[];
}

const cases: Case[] = [
  {
    name: 'a cluster IP service without slices rejects: no endpoints',
    services: [svc('web')],
    want: [base],
  },
  {
    name: 'headless and ExternalName services are not proxied',
    services: [
      svc('headless', { clusterIP: 'None', clusterIPs: ['None'] }),
      svc('ext', { type: 'ExternalName', externalName: 'example.com', clusterIPs: [] }),
      svc('pending', { clusterIP: '', clusterIPs: [] }),
    ],
    want: [],
  },
  {
    name: 'ready endpoints, deduplicated across slices and sorted numerically',
    services: [svc('web')],
    slices: [
      slice('web', [ep('10.1.0.10'), ep('10.1.0.9', { ready: true })]),
      slice('web', [ep('10.1.0.9'), ep('10.1.0.2', { ready: false })], undefined, 'web-def'),
      slice('other', [ep('10.1.0.99')]),
    ],
    want: [{ ...base, endpoints: [local('10.1.0.9'), local('10.1.0.10')] }],
  },
  {
    name: 'terminating serving endpoints only when none is ready',
    services: [svc('web'), svc('api', { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] })],
    slices: [
      slice('web', [
        ep('10.1.0.1', { ready: false, serving: true, terminating: true }),
        ep('10.1.0.2', { ready: false, serving: false, terminating: true }),
        ep('10.1.0.3', { ready: false, serving: true, terminating: false }),
      ]),
      slice('api', [
        ep('10.1.0.4', { ready: false, serving: true, terminating: true }),
        ep('10.1.0.5', { ready: true }),
      ]),
    ],
    want: [
      {
        ...base,
        id: 'ns/api:http',
        name: 'api',
        clusterIPs: ['10.96.0.11'],
        endpoints: [local('10.1.0.5')],
      },
      { ...base, endpoints: [local('10.1.0.1')] },
    ],
  },
  {
    name: 'endpoints match by port name and protocol; other nodes are not local',
    services: [
      svc('dns', {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
    ],
    slices: [
      slice(
        'dns',
        [ep('10.1.0.1', undefined, 'node-b')],
        [
          { name: 'dns', port: 5353, protocol: 'UDP' },
          { name: 'dns-tcp', port: 5354, protocol: 'TCP' },
        ],
      ),
    ],
    want: [
      {
        ...base,
        id: 'ns/dns:dns',
        name: 'dns',
        portName: 'dns',
        protocol: 'UDP',
        port: 53,
        endpoints: [{ ip: '10.1.0.1', port: 5353, nodeName: 'node-b', isLocal: false }],
      },
      {
        ...base,
        id: 'ns/dns:dns-tcp',
        name: 'dns',
        portName: 'dns-tcp',
        port: 53,
        endpoints: [{ ip: '10.1.0.1', port: 5354, nodeName: 'node-b', isLocal: false }],
      },
    ],
  },
  {
    name: 'an unnamed port has the id namespace/name',
    services: [svc('web', { ports: [{ port: 80 }] })],
    slices: [slice('web', [ep('10.1.0.1')], [{ port: 80 }])],
    want: [{ ...base, id: 'ns/web', portName: '', endpoints: [local('10.1.0.1', 80)] }],
  },
  {
    name: 'NodePort, external IPs, traffic policies and ClientIP affinity with its default',
    services: [
      svc('web', {
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        externalIPs: ['192.0.2.50'],
        externalTrafficPolicy: 'Local',
        internalTrafficPolicy: 'Local',
        sessionAffinity: 'ClientIP',
      }),
    ],
    want: [
      {
        ...base,
        nodePort: 30080,
        externalIPs: ['192.0.2.50'],
        externalLocalOnly: true,
        internalLocalOnly: true,
        sessionAffinity: { timeoutSeconds: 10800 },
      },
    ],
  },
  {
    name: 'LoadBalancer IPs from status, except ipMode Proxy; explicit affinity timeout',
    services: [
      svc(
        'web',
        {
          type: 'LoadBalancer',
          ports: [{ name: 'http', port: 80, nodePort: 30081 }],
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        },
        {
          loadBalancer: {
            ingress: [
              { ip: '192.0.2.10' },
              { hostname: 'lb.example' },
              { ip: '192.0.2.11', ipMode: 'Proxy' },
            ],
          },
        },
      ),
    ],
    want: [
      {
        ...base,
        nodePort: 30081,
        loadBalancerIPs: ['192.0.2.10'],
        sessionAffinity: { timeoutSeconds: 60 },
      },
    ],
  },
  {
    name: 'a ClusterIP service ignores node ports and LB status',
    services: [
      svc(
        'web',
        { ports: [{ name: 'http', port: 80, nodePort: 30082 }] },
        { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
      ),
    ],
    want: [base],
  },
];

describe('computeProxyTable', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(computeProxyTable(c.services, c.slices ?? [], NODE).services, c.want);
    });
  }

  it('gives an equal table whatever the order of its inputs', () => {
    const services = [
      svc('b'),
      svc('a'),
      svc('c', { clusterIP: '10.96.0.12', clusterIPs: ['10.96.0.12'] }),
    ];
    const slices = [slice('a', [ep('10.1.0.2'), ep('10.1.0.1')]), slice('c', [ep('10.1.0.3')])];
    const one = computeProxyTable(services, slices, NODE);
    const two = computeProxyTable([...services].reverse(), [...slices].reverse(), NODE);
    assert.deepEqual(one, two);
    assert.deepEqual(
      one.services.map((s) => s.id),
      ['ns/a:http', 'ns/b:http', 'ns/c:http'],
    );
  });
});
