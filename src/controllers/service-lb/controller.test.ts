import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { stderrLogger } from '../../client/index.ts';
import { FakeStore } from '../test-support.ts';
import { ServiceLBController, type ServiceLBClient } from './controller.ts';

// The built-in load balancer against seeded caches: which ingress each service gets.

const node = (name: string, ip: string, ready = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: {
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }],
  },
});

const service = (name: string, spec: object, status: object = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec,
  status,
});

function harness(services: KubeObject[], nodes: KubeObject[]) {
  const patches: { name: string; body: unknown }[] = [];
  const client: ServiceLBClient = {
    patch: async (_ref, _ns, name, body) => {
      patches.push({ name, body });
      return {} as never;
    },
  };
  const controller = new ServiceLBController(
    client,
    { services: new FakeStore(services), nodes: new FakeStore(nodes) },
    stderrLogger,
  );
  return { controller, patches };
}

describe('ServiceLBController', () => {
  const cases: {
    name: string;
    svc: KubeObject;
    nodes: KubeObject[];
    want: unknown;
  }[] = [
    {
      name: 'a LoadBalancer gets the Ready nodes as ingress',
      svc: service('lb', { type: 'LoadBalancer' }),
      nodes: [node('b', '192.0.2.20'), node('a', '192.0.2.10'), node('c', '192.0.2.30', false)],
      want: {
        status: {
          loadBalancer: {
            ingress: [
              { ip: '192.0.2.10', ipMode: 'VIP' },
              { ip: '192.0.2.20', ipMode: 'VIP' },
            ],
          },
        },
      },
    },
    {
      name: 'with no Ready node, every node is used',
      svc: service('lb', { type: 'LoadBalancer' }),
      nodes: [node('a', '192.0.2.10', false)],
      want: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } } },
    },
    {
      name: 'an ingress already right is not written',
      svc: service(
        'lb',
        { type: 'LoadBalancer' },
        { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } },
      ),
      nodes: [node('a', '192.0.2.10')],
      want: undefined,
    },
    {
      name: 'a service that is no longer a LoadBalancer loses its ingress',
      svc: service(
        'was-lb',
        { type: 'ClusterIP' },
        { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } },
      ),
      nodes: [node('a', '192.0.2.10')],
      want: { status: { loadBalancer: {} } },
    },
    {
      name: 'another implementation’s class is left alone',
      svc: service('other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' }),
      nodes: [node('a', '192.0.2.10')],
      want: undefined,
    },
    {
      name: 'a ClusterIP service without ingress is not written',
      svc: service('plain', { type: 'ClusterIP' }),
      nodes: [node('a', '192.0.2.10')],
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { controller, patches } = harness([c.svc], c.nodes);
      await controller.reconcile(`default/${c.svc.metadata!.name}`);
      assert.deepEqual(patches[0]?.body, c.want);
      assert.ok(patches.length <= 1);
    });
  }
});
