import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import type { ContainerPort } from '../helper/index.ts';
import { makeNode, makePod, makeSnapshot, runFilter, summarize } from '../testing/fixtures.ts';
import { NodePorts } from './index.ts';

const withPorts = (name: string, ...ports: ContainerPort[]): KubeObject =>
  makePod(name, { containers: [{ ports }] });
const CONFLICT = "Unschedulable: node(s) didn't have free ports for the requested pod ports";

describe('NodePorts', () => {
  const cases: {
    name: string;
    pod: KubeObject;
    existing: KubeObject[];
    hostNetwork?: boolean;
    want: string;
  }[] = [
    {
      name: 'no ports',
      pod: makePod('p'),
      existing: [withPorts('a', { containerPort: 80, hostPort: 80 })],
      want: 'Success',
    },
    {
      name: 'same host port',
      pod: withPorts('p', { containerPort: 8080, hostPort: 80 }),
      existing: [withPorts('a', { containerPort: 80, hostPort: 80 })],
      want: CONFLICT,
    },
    {
      name: 'same port, other protocol',
      pod: withPorts('p', { containerPort: 53, hostPort: 53, protocol: 'UDP' }),
      existing: [withPorts('a', { containerPort: 53, hostPort: 53 })],
      want: 'Success',
    },
    {
      name: 'different host IPs do not conflict',
      pod: withPorts('p', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }),
      existing: [withPorts('a', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' })],
      want: 'Success',
    },
    {
      name: 'a wildcard wants the port on every IP',
      pod: withPorts('p', { containerPort: 80, hostPort: 80 }),
      existing: [withPorts('a', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' })],
      want: CONFLICT,
    },
    {
      name: 'a specific IP conflicts with a wildcard',
      pod: withPorts('p', { containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }),
      existing: [withPorts('a', { containerPort: 80, hostPort: 80 })],
      want: CONFLICT,
    },
    {
      name: 'a port that is a prefix of another does not conflict',
      pod: withPorts('p', { containerPort: 80, hostPort: 80 }),
      existing: [withPorts('a', { containerPort: 8080, hostPort: 8080 })],
      want: 'Success',
    },
    {
      name: 'container ports alone do not conflict on an ordinary node',
      pod: withPorts('p', { containerPort: 8080 }),
      existing: [withPorts('a', { containerPort: 8080 })],
      want: 'Success',
    },
    {
      name: 'container ports conflict on a host-network node',
      pod: withPorts('p', { containerPort: 8080 }),
      existing: [withPorts('a', { containerPort: 8080 })],
      hostNetwork: true,
      want: CONFLICT,
    },
    {
      name: 'on a host-network node the protocol still tells ports apart',
      pod: withPorts('p', { containerPort: 8080, protocol: 'UDP' }),
      existing: [withPorts('a', { containerPort: 8080 })],
      hostNetwork: true,
      want: 'Success',
    },
    {
      name: 'on a host-network node a container port meets a host port',
      pod: withPorts('p', { containerPort: 9000 }),
      existing: [withPorts('a', { containerPort: 80, hostPort: 9000 })],
      hostNetwork: true,
      want: CONFLICT,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const labels = c.hostNetwork ? { 'wharf.dev/pod-network': 'host' } : undefined;
      const snapshot = makeSnapshot([makeNode('n1', { labels, pods: c.existing })]);
      assert.equal(summarize(runFilter(new NodePorts(), c.pod, snapshot).statuses).n1, c.want);
    });
  }
});
