import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { ApiError, WorkQueue } from '../../client/index.ts';
import { ANNOTATION_OVER_CAPACITY, EndpointsController } from './controller.ts';
import {
  FakeStore,
  iso,
  pod,
  queued,
  recordingClient,
  service,
  silent,
  summary,
  T0,
  type Call,
} from './test-support.ts';

// The endpoints controller against seeded caches: one reconcile, then the API calls.

function harness(services: KubeObject[], pods: KubeObject[], endpoints: KubeObject[] = []) {
  const caches = {
    services: new FakeStore(services),
    pods: new FakeStore(pods),
    endpoints: new FakeStore(endpoints),
  };
  let failWith: ((call: Call) => Error | undefined) | undefined;
  const { client, calls } = recordingClient({ endpoints: caches.endpoints }, (c) => failWith?.(c));
  const events: string[] = [];
  const queue = new WorkQueue<string>();
  const ec = new EndpointsController(client, undefined, caches, silent, {
    queue,
    recorder: { event: (_o, type, reason) => events.push(`${type} ${reason}`) },
  });
  const fail = (fn: typeof failWith) => (failWith = fn);
  return { ec, calls, caches, events, queue, fail };
}

const addr = (name: string, ip: string, extra: object = {}) => ({
  ip,
  ...extra,
  nodeName: 'node-a',
  targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` },
});
const http = { name: 'http', port: 8080, protocol: 'TCP' };

interface Case {
  name: string;
  services?: KubeObject[];
  pods: KubeObject[];
  subsets: unknown;
}

const cases: Case[] = [
  {
    name: 'ready pods become addresses, sorted by IP',
    pods: [pod('p2'), pod('p1'), pod('other', { labels: { app: 'db' } })],
    subsets: [{ addresses: [addr('p1', '10.0.0.2'), addr('p2', '10.0.0.3')], ports: [http] }],
  },
  {
    name: 'pods not ready are notReadyAddresses of the same subset',
    pods: [pod('p1'), pod('p2', { ready: false })],
    subsets: [
      {
        addresses: [addr('p1', '10.0.0.2')],
        notReadyAddresses: [addr('p2', '10.0.0.3')],
        ports: [http],
      },
    ],
  },
  {
    name: 'publishNotReadyAddresses publishes every pod as ready, even one being deleted',
    services: [service('web', { publishNotReadyAddresses: true })],
    pods: [pod('p1', { ready: false }), pod('p2', { deleting: true })],
    subsets: [{ addresses: [addr('p1', '10.0.0.2'), addr('p2', '10.0.0.3')], ports: [http] }],
  },
  {
    name: 'pods without an IP, terminal pods and pods being deleted are left out',
    pods: [
      pod('p1'),
      pod('p2', { ip: null }),
      pod('p3', { phase: 'Succeeded' }),
      pod('p4', { phase: 'Failed' }),
      pod('p5', { deleting: true }),
    ],
    subsets: [{ addresses: [addr('p1', '10.0.0.2')], ports: [http] }],
  },
  {
    name: 'a named target port resolves per pod; pods lacking it are left out',
    services: [service('web', { ports: [{ name: 'http', port: 80, targetPort: 'web' }] })],
    pods: [
      pod('p1'),
      pod('p2', { ports: [{ name: 'web', containerPort: 9090 }] }),
      pod('p3', { ports: [{ name: 'other', containerPort: 8080 }] }),
      pod('p4', { ports: [{ name: 'web', containerPort: 8080, protocol: 'UDP' }] }),
    ],
    subsets: [
      { addresses: [addr('p1', '10.0.0.2')], ports: [http] },
      { addresses: [addr('p2', '10.0.0.3')], ports: [{ ...http, port: 9090 }] },
    ],
  },
  {
    name: 'ports offered by the same addresses share a subset; the others get their own',
    services: [
      service('web', {
        ports: [
          { name: 'http', port: 80, targetPort: 'web', appProtocol: 'http' },
          { name: 'metrics', port: 9100, protocol: 'TCP' },
        ],
      }),
    ],
    pods: [pod('p1'), pod('p2'), pod('p3', { ports: [] })],
    subsets: [
      {
        addresses: [addr('p1', '10.0.0.2'), addr('p2', '10.0.0.3'), addr('p3', '10.0.0.4')],
        ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
      },
      {
        addresses: [addr('p1', '10.0.0.2'), addr('p2', '10.0.0.3')],
        ports: [{ ...http, appProtocol: 'http' }],
      },
    ],
  },
  {
    name: 'hostname only for pods whose subdomain is the service',
    pods: [
      pod('p1', { hostname: 'one', subdomain: 'web' }),
      pod('p2', { hostname: 'two', subdomain: 'other' }),
    ],
    subsets: [
      {
        addresses: [addr('p1', '10.0.0.2', { hostname: 'one' }), addr('p2', '10.0.0.3')],
        ports: [http],
      },
    ],
  },
  {
    name: 'a headless service without ports gets addresses without ports',
    services: [service('web', { clusterIP: 'None', ports: [] })],
    pods: [pod('p1')],
    subsets: [{ addresses: [addr('p1', '10.0.0.2')] }],
  },
  {
    name: 'a service with a cluster IP and no ports gets no subsets',
    services: [service('web', { ports: [] })],
    pods: [pod('p1')],
    subsets: undefined,
  },
  {
    name: 'the IP of the service family is used',
    services: [service('web', { clusterIP: 'fd00::10' })],
    pods: [pod('p1', { ip: ['10.0.0.2', 'fd00::2'] }), pod('p2', { ip: '10.0.0.3' })],
    subsets: [{ addresses: [addr('p1', 'fd00::2')], ports: [http] }],
  },
];

describe('EndpointsController', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const h = harness(c.services ?? [service('web')], c.pods);
      await h.ec.reconcile('ns/web');
      assert.deepEqual(summary(h.calls), ['create endpoints/web']);
      assert.deepEqual(h.calls[0]!.body!.subsets, c.subsets);
    });
  }

  it('creates the Endpoints with the service labels and the trigger time', async () => {
    const labels = { app: 'web', team: 'a' };
    const h = harness([service('web', { labels })], [pod('p1')]);
    await h.ec.reconcile('ns/web');
    assert.deepEqual(h.calls[0]!.body!.metadata, {
      name: 'web',
      namespace: 'ns',
      labels,
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': iso(T0 - 3_600_000) },
    });
  });

  it('labels the Endpoints of a headless service', async () => {
    const h = harness([service('web', { clusterIP: 'None' })], [pod('p1')]);
    await h.ec.reconcile('ns/web');
    assert.deepEqual(h.calls[0]!.body!.metadata!.labels, { 'service.kubernetes.io/headless': '' });
  });

  it('writes nothing when nothing changed', async () => {
    const h = harness([service('web')], [pod('p1'), pod('p2', { ready: false })]);
    await h.ec.reconcile('ns/web');
    await h.ec.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['create endpoints/web']);
  });

  it('moves a pod that turns unready to notReadyAddresses, with its trigger time', async () => {
    const h = harness([service('web')], [pod('p1'), pod('p2')]);
    await h.ec.reconcile('ns/web');
    const unready = pod('p2', { ready: false, readyAt: T0 });
    unready.metadata!.resourceVersion = '21';
    h.caches.pods.set(unready);
    h.ec.updatePod(pod('p2'), unready);
    assert.deepEqual(await queued(h.queue), ['ns/web']);
    await h.ec.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), ['create endpoints/web', 'update endpoints/web']);
    const body = h.calls[1]!.body!;
    assert.deepEqual((body as { subsets?: unknown }).subsets, [
      {
        addresses: [addr('p1', '10.0.0.2')],
        notReadyAddresses: [addr('p2', '10.0.0.3')],
        ports: [http],
      },
    ]);
    assert.equal(body.metadata!.resourceVersion, '1001', 'updates the version it read');
    assert.equal(
      body.metadata!.annotations!['endpoints.kubernetes.io/last-change-trigger-time'],
      iso(T0),
    );
  });

  it('leaves services without a selector, and ExternalName services, alone', async () => {
    const selectorless = service('manual', { selector: null });
    const external = service('ext', { type: 'ExternalName' });
    const manualEndpoints: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual', namespace: 'ns', resourceVersion: '3' },
      subsets: [{ addresses: [{ ip: '192.168.1.1' }] }],
    };
    const h = harness([selectorless, external], [pod('p1')], [manualEndpoints]);
    h.ec.checkLeftoverEndpoints();
    for (const key of await queued(h.queue)) await h.ec.reconcile(key);
    h.ec.addPod(pod('p1'));
    // As in Kubernetes the selector of an ExternalName service still maps pods to it.
    assert.deepEqual(await queued(h.queue), ['ns/ext']);
    await h.ec.reconcile('ns/ext');
    assert.deepEqual(summary(h.calls), []);
  });

  it('deletes the Endpoints of a deleted service, found at start-up too', async () => {
    const leftover: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'gone', namespace: 'ns', resourceVersion: '3' },
    };
    const leader: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'lock',
        namespace: 'ns',
        annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' },
      },
    };
    const h = harness([], [], [leftover, leader]);
    h.ec.checkLeftoverEndpoints();
    assert.deepEqual(await queued(h.queue), ['ns/gone']);
    await h.ec.reconcile('ns/gone');
    await h.ec.reconcile('ns/never-existed');
    await h.ec.reconcile('default/kubernetes');
    assert.deepEqual(summary(h.calls), ['delete endpoints/gone', 'delete endpoints/never-existed']);
  });

  it('truncates to 1000 addresses, not-ready ones first, and says so', async () => {
    const pods = Array.from({ length: 1010 }, (_, i) => pod(`p${i}`, { ready: i >= 20 }));
    const h = harness([service('web')], pods);
    await h.ec.reconcile('ns/web');
    const body = h.calls[0]!.body! as KubeObject & { subsets: Record<string, unknown[]>[] };
    assert.equal(body.subsets[0]!.addresses!.length, 990);
    assert.equal(body.subsets[0]!.notReadyAddresses!.length, 10);
    assert.equal(body.metadata!.annotations![ANNOTATION_OVER_CAPACITY], 'truncated');
    await h.ec.reconcile('ns/web');
    assert.equal(h.calls.length, 1, 'the truncated Endpoints are not rewritten');
  });

  it('waits, backing off, for a cache older than its own last write', async () => {
    const h = harness([service('web')], [pod('p1')]);
    await h.ec.reconcile('ns/web');
    const created = h.caches.endpoints.get('ns/web')!;
    h.caches.pods.set(pod('p1', { ready: false }));
    await h.ec.reconcile('ns/web');
    h.caches.endpoints.set(created);
    h.caches.pods.set(pod('p1'));
    assert.deepEqual(await h.ec.reconcile('ns/web'), { requeueAfterMs: 5 });
    h.caches.endpoints.remove(created);
    assert.deepEqual(await h.ec.reconcile('ns/web'), { requeueAfterMs: 10 }, 'not created yet');
    h.ec.deleteEndpoints(created);
    await h.ec.reconcile('ns/web');
    assert.deepEqual(summary(h.calls), [
      'create endpoints/web',
      'update endpoints/web',
      'create endpoints/web',
    ]);
  });

  it('records a warning and fails when the write fails', async () => {
    const h = harness([service('web')], [pod('p1')]);
    h.fail(() => new ApiError({ kind: 'Status', code: 500, message: 'boom' }));
    await assert.rejects(h.ec.reconcile('ns/web'), /boom/);
    assert.deepEqual(h.events, ['Warning FailedToCreateEndpoint']);
  });

  it('drops the key when the namespace is terminating', async () => {
    const h = harness([service('web')], [pod('p1')]);
    h.fail(
      () =>
        new ApiError({
          kind: 'Status',
          code: 403,
          reason: 'Forbidden',
          details: { causes: [{ reason: 'NamespaceTerminating' }] },
        }),
    );
    await h.ec.reconcile('ns/web');
    assert.deepEqual(h.events, []);
  });
});

describe('EndpointsController stopping', () => {
  it('writes the events of its own recorder before run() returns, and no later ones', async () => {
    const services = new FakeStore([service('web')]);
    const caches = { services, pods: new FakeStore([pod('p1')]), endpoints: new FakeStore() };
    const { client, calls } = recordingClient({ endpoints: caches.endpoints }, (c) =>
      c.resource === 'endpoints' ? new ApiError({ kind: 'Status', code: 500 }) : undefined,
    );
    const ec = new EndpointsController(client, undefined, caches, silent);
    const stop = new AbortController();
    const running = ec.run(stop.signal, 1);
    await assert.rejects(ec.reconcile('ns/web'));
    stop.abort();
    await running;
    const eventWrites = () => calls.filter((c) => c.resource === 'events');
    assert.deepEqual(
      eventWrites().map((c) => (c.body as { reason?: string }).reason),
      ['FailedToCreateEndpoint'],
    );
    await assert.rejects(ec.reconcile('ns/web'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(eventWrites().length, 1, 'the recorder is closed');
  });
});

describe('EndpointsController event handlers', () => {
  const web = service('web');
  const db = service('db', { selector: { app: 'db' } });
  const other = { ...service('web'), metadata: { ...web.metadata, namespace: 'other' } };

  const changed = (p: KubeObject, rv = '21') => {
    p.metadata!.resourceVersion = rv;
    return p;
  };

  it('maps a pod to the services of its namespace that select it', async () => {
    const h = harness([web, db, other, service('manual', { selector: null })], []);
    h.ec.addPod(pod('p1'));
    assert.deepEqual(await queued(h.queue), ['ns/web']);
  });

  it('on update, enqueues what the change concerns', async () => {
    const h = harness([web, db], []);
    h.ec.updatePod(pod('p1'), pod('p1', { ready: false }));
    assert.deepEqual(await queued(h.queue), [], 'same resourceVersion: a resync');
    h.ec.updatePod(pod('p1'), changed(pod('p1', { ready: false })));
    assert.deepEqual(await queued(h.queue), ['ns/web']);
    h.ec.updatePod(pod('p1'), changed(pod('p1', { ip: '10.9.9.9' })));
    assert.deepEqual(await queued(h.queue), ['ns/web']);
    h.ec.updatePod(pod('p1'), changed(pod('p1', { deleting: true })));
    assert.deepEqual(await queued(h.queue), ['ns/web']);
    const annotated = changed(pod('p1'));
    annotated.metadata!.annotations = { a: 'b' };
    h.ec.updatePod(pod('p1'), annotated);
    assert.deepEqual(await queued(h.queue), [], 'nothing endpoints show changed');
    h.ec.updatePod(pod('p1'), changed(pod('p1', { labels: { app: 'db' } })));
    assert.deepEqual(await queued(h.queue), ['ns/db', 'ns/web'], 'left one, joined another');
    h.ec.updatePod(pod('p1'), changed(pod('p1', { labels: { app: 'web', x: 'y' } })));
    assert.deepEqual(await queued(h.queue), [], 'labels changed, memberships did not');
  });
});
