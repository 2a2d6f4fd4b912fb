import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock, WorkQueue } from '../../client/index.ts';
import {
  FakeStore,
  iso,
  node,
  pod,
  queued,
  recordingClient,
  service,
  silent,
  summary,
  T0,
} from '../endpoints/test-support.ts';
import { EndpointSliceController } from './controller.ts';
import type { EndpointSlice } from './slices.ts';

// The EndpointSlice controller against seeded caches: reconcile, then the API calls. The
// client applies its writes to the slice cache, so a second pass sees the first one's.

function harness(services: KubeObject[], pods: KubeObject[], slices: KubeObject[] = []) {
  const caches = {
    services: new FakeStore(services),
    pods: new FakeStore(pods),
    slices: new FakeStore(slices),
    nodes: new FakeStore([node('node-a', 'zone-1'), node('node-b')]),
  };
  const { client, calls } = recordingClient({ endpointslices: caches.slices });
  const clock = new FakeClock(T0);
  const queue = new WorkQueue<string>({ clock });
  const events: string[] = [];
  const esc = new EndpointSliceController(client, undefined, caches, silent, {
    queue,
    recorder: { event: (_o, type, reason) => events.push(`${type} ${reason}`) },
  });
  const stored = () =>
    (caches.slices.list() as EndpointSlice[]).sort((a, b) =>
      a.metadata!.name! < b.metadata!.name! ? -1 : 1,
    );
  return { esc, calls, caches, clock, queue, events, stored };
}

type Conditions = [ready: boolean, serving: boolean, terminating: boolean];
const READY: Conditions = [true, true, false];

const ep = (name: string, ip: string, [ready, serving, terminating] = READY, extra = {}) => ({
  addresses: [ip],
  conditions: { ready, serving, terminating },
  ...extra,
  targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` },
  nodeName: 'node-a',
  zone: 'zone-1',
});
const http = { name: 'http', port: 8080, protocol: 'TCP' };

interface Case {
  name: string;
  services?: KubeObject[];
  pods: KubeObject[];
  endpoints: unknown[];
  ports?: unknown[];
}

const cases: Case[] = [
  {
    name: 'ready and not-ready pods, with their conditions',
    pods: [pod('p1'), pod('p2', { ready: false }), pod('other', { labels: { app: 'db' } })],
    endpoints: [ep('p1', '10.0.0.2'), ep('p2', '10.0.0.3', [false, false, false])],
  },
  {
    name: 'terminating pods stay, neither ready nor (unless Ready) serving',
    pods: [pod('p1', { deleting: true }), pod('p2', { deleting: true, ready: false })],
    endpoints: [
      ep('p1', '10.0.0.2', [false, true, true]),
      ep('p2', '10.0.0.3', [false, false, true]),
    ],
  },
  {
    name: 'publishNotReadyAddresses makes every endpoint ready',
    services: [service('web', { publishNotReadyAddresses: true })],
    pods: [pod('p1', { ready: false }), pod('p2', { deleting: true })],
    endpoints: [
      ep('p1', '10.0.0.2', [true, false, false]),
      ep('p2', '10.0.0.3', [true, true, true]),
    ],
  },
  {
    name: 'pods without an IP and terminal pods are left out',
    pods: [pod('p1'), pod('p2', { ip: null }), pod('p3', { phase: 'Succeeded' })],
    endpoints: [ep('p1', '10.0.0.2')],
  },
  {
    name: 'hostname for pods of the subdomain; no zone on a node without one',
    pods: [pod('p1', { hostname: 'one', subdomain: 'web' }), pod('p2', { node: 'node-b' })],
    endpoints: [
      ep('p1', '10.0.0.2', READY, { hostname: 'one' }),
      { ...ep('p2', '10.0.0.3'), nodeName: 'node-b', zone: undefined },
    ].map((e) => JSON.parse(JSON.stringify(e))),
  },
  {
    name: 'every service port, named or not, with its app protocol',
    services: [
      service('web', {
        ports: [
          { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP', appProtocol: 'http' },
          { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
        ],
      }),
    ],
    pods: [pod('p1')],
    endpoints: [ep('p1', '10.0.0.2')],
    ports: [
      { ...http, appProtocol: 'http' },
      { name: 'dns', port: 5353, protocol: 'UDP' },
    ],
  },
];

describe('EndpointSliceController', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness(c.services ?? [service('web')], c.pods);
      await h.esc.reconcile('ns/web');
      assert.deepEqual(summary(h.calls), ['create endpointslices/web-']);
      const body = h.calls[0]!.body as EndpointSlice;
      assert.deepEqual(body.endpoints, c.endpoints);
      assert.deepEqual(body.ports, c.ports ?? [http]);
    });
  }

  it('creates a slice labelled, owned by the service, with the trigger time', async () => {
    const h = harness([service('web', { labels: { team: 'a' } })], [pod('p1')]);
    await h.esc.reconcile('ns/web');
    const body = h.calls[0]!.body as EndpointSlice;
    assert.deepEqual(body.metadata, {
      generateName: 'web-',
      namespace: 'ns',
      labels: {
        team: 'a',
        'kubernetes.io/service-name': 'web',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: 'web',
          uid: 'uid-web',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(T0 - 3_600_000) },
    });
    assert.equal(body.addressType, 'IPv4');
  });

  it('puts pods resolving different ports into different slices', async () => {
    const svc = service('web', { ports: [{ name: 'http', port: 80, targetPort: 'web' }] });
    const h = harness(
      [svc],
      [pod('p1'), pod('p2', { ports: [{ name: 'web', containerPort: 9090 }] }), pod('p3')],
    );
    await h.esc.reconcile('ns/web');
    assert.deepEqual(
      h.stored().map((s) => [s.ports, s.endpoints!.map((e) => e.targetRef!.name)]),
      [
        [[http], ['p1', 'p3']],
        [[{ ...http, port: 9090 }], ['p2']],
      ],
    );
  });

  it('splits more than 100 endpoints into slices, and changes only the one concerned', async () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`));
    const h = harness([service('web')], pods);
    await h.esc.reconcile('ns/web');
    assert.deepEqual(
      h.stored().map((s) => s.endpoints!.length),
      [100, 100, 50],
    );
    h.calls.length = 0;
    // Names sort as strings: p0 and p1 are both in the first slice.
    h.caches.pods.remove(pods[0]!);
    h.caches.pods.set(pod('p1', { ready: false }));
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['update endpointslices/web-1']);
    const updated = h.calls[0]!.body as EndpointSlice;
    assert.equal(updated.endpoints!.length, 99);
    assert.equal(
      updated.endpoints!.find((e) => e.targetRef!.name === 'p1')!.conditions.ready,
      false,
    );
  });

  it('rewrites nothing when nothing changed', async () => {
    const h = harness([service('web')], [pod('p1'), pod('p2', { deleting: true })]);
    await h.esc.reconcile('ns/web');
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['create endpointslices/web-']);
  });

  it('keeps an empty placeholder without pods, and fills it when pods come', async () => {
    const h = harness([service('web')], []);
    await h.esc.reconcile('ns/web');
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['create endpointslices/web-']);
    assert.deepEqual((h.calls[0]!.body as EndpointSlice).endpoints, []);
    assert.deepEqual((h.calls[0]!.body as EndpointSlice).ports, []);
    h.caches.pods.set(pod('p1'));
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls).slice(1), ['update endpointslices/web-1']);
    assert.deepEqual((h.calls[1]!.body as EndpointSlice).ports, [http]);
    h.caches.pods.remove(pod('p1'));
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls).slice(2), ['update endpointslices/web-1']);
    assert.deepEqual((h.calls[2]!.body as EndpointSlice).endpoints, []);
  });

  it('writes IPv4 and IPv6 slices for a dual-stack service', async () => {
    const svc = service('web', { ipFamilies: ['IPv4', 'IPv6'] });
    const h = harness([svc], [pod('p1', { ip: ['10.0.0.2', 'fd00::2'] })]);
    await h.esc.reconcile('ns/web');
    assert.deepEqual(
      h.stored().map((s) => [s.addressType, s.endpoints!.map((e) => e.addresses)]),
      [
        ['IPv4', [['10.0.0.2']]],
        ['IPv6', [['fd00::2']]],
      ],
    );
  });

  it('leaves out pods on a node that does not exist, and retries', async () => {
    const h = harness([service('web')], [pod('p1'), pod('p2', { node: 'gone' })]);
    await assert.rejects(h.esc.reconcile('ns/web'), /Node gone Not Found/);
    assert.deepEqual((h.calls[0]!.body as EndpointSlice).endpoints, [ep('p1', '10.0.0.2')]);
    assert.deepEqual(h.events, ['Warning FailedToUpdateEndpointSlices']);
  });

  it('ignores services without a selector or of type ExternalName, and deleted ones', async () => {
    const h = harness(
      [service('manual', { selector: null }), service('ext', { type: 'ExternalName' })],
      [pod('p1')],
    );
    for (const key of ['ns/manual', 'ns/ext', 'ns/gone']) await h.esc.reconcile(key);
    assert.deepEqual(summary(h.calls), []);
  });

  it('deletes slices it no longer needs; leaves other managers and services alone', async () => {
    const h = harness([service('web')], [pod('p1')]);
    await h.esc.reconcile('ns/web');
    const ours = h.stored()[0]!;
    const mirrored = structuredClone(ours);
    mirrored.metadata = {
      name: 'web-mirror',
      namespace: 'ns',
      uid: 'uid-mirror',
      labels: {
        'kubernetes.io/service-name': 'web',
        'endpointslice.kubernetes.io/managed-by': 'x',
      },
    };
    const stale = structuredClone(ours);
    stale.metadata = { ...stale.metadata, name: 'web-old', uid: 'uid-old', resourceVersion: '9' };
    stale.ports = [{ name: 'old', port: 1, protocol: 'TCP' }];
    h.caches.slices.set(mirrored);
    h.caches.slices.set(stale);
    h.calls.length = 0;
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['delete endpointslices/web-old']);
  });

  it('replaces the slices of an earlier service of the same name', async () => {
    const h = harness([service('web')], [pod('p1')]);
    await h.esc.reconcile('ns/web');
    const recreated = service('web');
    recreated.metadata!.uid = 'uid-web-2';
    h.caches.services.set(recreated);
    await h.esc.reconcile('ns/web');
    assert.deepEqual(summary(h.calls).slice(1), [
      'create endpointslices/web-',
      'delete endpointslices/web-1',
    ]);
  });

  it('waits, backing off, for a cache older than its own writes', async () => {
    const h = harness([service('web')], [pod('p1')]);
    await h.esc.reconcile('ns/web');
    const created = h.stored()[0]!;
    h.caches.pods.set(pod('p1', { ready: false }));
    await h.esc.reconcile('ns/web');
    h.caches.slices.set(created);
    assert.deepEqual(await h.esc.reconcile('ns/web'), { requeueAfterMs: 5 });
    h.caches.slices.remove(created);
    assert.deepEqual(await h.esc.reconcile('ns/web'), { requeueAfterMs: 10 }, 'one is missing');
  });
});

describe('EndpointSliceController event handlers', () => {
  it('ignores its own writes and looks again a second after anyone else’s', async () => {
    const h = harness([service('web')], [pod('p1')]);
    await h.esc.reconcile('ns/web');
    const slice = h.stored()[0]!;
    h.esc.addSlice(slice);
    h.esc.updateSlice(slice, slice);
    h.clock.advance(1000);
    assert.deepEqual(await queued(h.queue), []);
    const edited = structuredClone(slice);
    edited.metadata!.resourceVersion = String(Number(slice.metadata!.resourceVersion) + 1);
    h.esc.updateSlice(slice, edited);
    assert.deepEqual(await queued(h.queue), []);
    h.clock.advance(1000);
    assert.deepEqual(await queued(h.queue), ['ns/web']);
    h.esc.deleteSlice(edited);
    h.clock.advance(1000);
    assert.deepEqual(await queued(h.queue), ['ns/web'], 'deleted by someone else');
  });

  it('enqueues the services of a pod when its readiness changes', async () => {
    const h = harness([service('web'), service('db', { selector: { app: 'db' } })], []);
    const unready = pod('p1', { ready: false });
    unready.metadata!.resourceVersion = '21';
    h.esc.updatePod(pod('p1'), unready);
    assert.deepEqual(await queued(h.queue), ['ns/web']);
  });
});
