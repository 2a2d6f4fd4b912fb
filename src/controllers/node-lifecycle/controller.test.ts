import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock } from '../../client/index.ts';
import { NodeLifecycleController, type NodeLifecycleOptions } from './controller.ts';
import { type NodeCondition, type Taint } from './node-api.ts';
import {
  lease,
  node,
  pod,
  recordingClient,
  recordingEvents,
  seededStore,
  silent,
  summary,
  T0,
} from './test-support.ts';

// The node lifecycle controller against seeded caches and a recording client: the test
// plays the agents (renewing leases, posting Ready) and the informers (copying what the
// controller wrote back into the caches), calls reconcile, and looks at the API calls.

function harness(nodes: KubeObject[], pods: KubeObject[] = [], opts: NodeLifecycleOptions = {}) {
  const objects: Record<string, KubeObject> = {};
  for (const n of nodes) objects[`nodes/${n.metadata!.name}`] = n;
  for (const p of pods) objects[`pods/${p.metadata!.name}`] = p;
  const caches = {
    nodes: seededStore(nodes.map((n) => structuredClone(n))),
    leases: seededStore(),
    pods: seededStore(pods.map((p) => structuredClone(p))),
  };
  const { client, calls } = recordingClient(objects);
  const { recorder, events } = recordingEvents();
  const clock = new FakeClock(T0);
  const controller = new NodeLifecycleController(
    client,
    undefined,
    { nodes: caches.nodes.store, leases: caches.leases.store, pods: caches.pods.store },
    silent,
    { clock, recorder, ...opts },
  );
  return {
    controller,
    calls,
    events,
    clock,
    objects,
    /** The agents of these nodes renew their Leases now. */
    renew: (...names: string[]) => {
      for (const n of names) caches.leases.set(lease(n, clock.now()));
    },
    /** The informers catch up with what was written. */
    sync: () => {
      for (const [key, obj] of Object.entries(objects)) {
        const store = key.startsWith('nodes/') ? caches.nodes : caches.pods;
        store.set(structuredClone(obj));
      }
    },
    /** An agent posts its node's conditions (Ready = `status`) with a fresh heartbeat. */
    post: (name: string, status: 'True' | 'False') => {
      const fresh = node(name, { ready: status, heartbeat: clock.now() });
      const current = objects[`nodes/${name}`]!;
      current.status = fresh.status;
      caches.nodes.set(structuredClone(current));
    },
    taints: (name: string) =>
      ((objects[`nodes/${name}`]!.spec as { taints?: Taint[] }).taints ?? []).map(
        (t) => `${t.key}:${t.effect}`,
      ),
    conditions: (name: string) =>
      (objects[`nodes/${name}`]!.status as { conditions: NodeCondition[] }).conditions,
    reset: () => void (calls.length = 0),
  };
}

type Harness = ReturnType<typeof harness>;

/** Both nodes healthy at T0, then `dying` stops renewing; runs until its conditions are Unknown. */
async function loseNode(h: Harness, alive: string, dying: string): Promise<void> {
  h.renew(alive, dying);
  await h.controller.reconcile('monitor');
  h.clock.advance(20_000);
  h.renew(alive);
  await h.controller.reconcile('monitor');
  assert.deepEqual(summary(h.calls), [], 'within the grace period nothing is written');
  h.clock.advance(31_000);
  h.renew(alive);
  await h.controller.reconcile('monitor');
}

describe('NodeLifecycleController: a node that stops renewing its lease', () => {
  it('goes Unknown after the grace period, its pods not Ready, then gets both unreachable taints', async () => {
    const h = harness([node('alive'), node('dying')], [pod('web', 'dying'), pod('other', 'alive')]);
    await loseNode(h, 'alive', 'dying');
    assert.deepEqual(summary(h.calls), ['update nodes/dying/status', 'update pods/web/status']);
    const now = rfc3339(h.clock.now());
    assert.deepEqual(
      h
        .conditions('dying')
        .map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime]),
      ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => [
        type,
        'Unknown',
        'NodeStatusUnknown',
        'Kubelet stopped posting node status.',
        now,
      ]),
    );
    const webReady = (h.calls[1]!.body as KubeObject).status as { conditions: object[] };
    assert.deepEqual(webReady.conditions, [
      { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: now },
    ]);
    assert.deepEqual(h.events.slice(2), [
      'Node/dying Normal NodeNotReady Node dying status is now: NodeNotReady',
      'Pod/ns/web Warning NodeNotReady Node is not ready',
    ]);

    // The node's update event: its NoSchedule taint follows the Unknown condition.
    h.sync();
    h.reset();
    await h.controller.reconcile('node:dying');
    assert.deepEqual(summary(h.calls), ['get nodes/dying', 'patch nodes/dying']);
    assert.deepEqual(h.taints('dying'), ['node.kubernetes.io/unreachable:NoSchedule']);

    // The next pass sees Unknown and queues the node for its NoExecute taint.
    h.sync();
    h.reset();
    h.clock.advance(5_000);
    h.renew('alive');
    await h.controller.reconcile('monitor');
    assert.deepEqual(summary(h.calls), [], 'Unknown is not written twice');
    await h.controller.reconcile('taint');
    assert.deepEqual(summary(h.calls), ['get nodes/dying', 'patch nodes/dying']);
    const patch = h.calls[1]!.body as {
      metadata: { resourceVersion: string };
      spec: { taints: Taint[] };
    };
    assert.ok(patch.metadata.resourceVersion, 'the taint patch is pinned to what it read');
    assert.deepEqual(patch.spec.taints, [
      {
        key: 'node.kubernetes.io/unreachable',
        effect: 'NoSchedule',
        timeAdded: rfc3339(h.clock.now() - 5_000),
      },
      {
        key: 'node.kubernetes.io/unreachable',
        effect: 'NoExecute',
        timeAdded: rfc3339(h.clock.now()),
      },
    ]);
    assert.deepEqual(
      h.conditions('alive').map((c) => c.status),
      ['False', 'False', 'False', 'True'],
    );
  });

  it('loses its taints when it comes back: lease renewed and Ready posted', async () => {
    const h = harness([node('alive'), node('dying')]);
    await loseNode(h, 'alive', 'dying');
    h.sync();
    await h.controller.reconcile('node:dying');
    h.sync();
    h.clock.advance(5_000);
    h.renew('alive');
    await h.controller.reconcile('monitor');
    await h.controller.reconcile('taint');
    h.sync();
    assert.deepEqual(h.taints('dying'), [
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);

    h.clock.advance(5_000);
    h.renew('alive', 'dying');
    h.post('dying', 'True');
    h.reset();
    await h.controller.reconcile('monitor');
    assert.deepEqual(summary(h.calls), ['get nodes/dying', 'patch nodes/dying']);
    assert.deepEqual(h.taints('dying'), ['node.kubernetes.io/unreachable:NoSchedule']);
    h.sync();
    await h.controller.reconcile('node:dying');
    assert.deepEqual(h.taints('dying'), []);
    h.sync();
    h.reset();
    h.clock.advance(5_000);
    h.renew('alive', 'dying');
    await h.controller.reconcile('monitor');
    await h.controller.reconcile('taint');
    assert.deepEqual(summary(h.calls), [], 'a healthy node is left alone');
  });

  it('taints a node that reports Ready=False not-ready, NoSchedule and NoExecute', async () => {
    const h = harness([node('a'), node('b')]);
    h.renew('a', 'b');
    await h.controller.reconcile('monitor');
    h.clock.advance(5_000);
    h.renew('a', 'b');
    h.post('b', 'False');
    await h.controller.reconcile('monitor');
    await h.controller.reconcile('node:b');
    await h.controller.reconcile('taint');
    assert.deepEqual(h.taints('b'), [
      'node.kubernetes.io/not-ready:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
    ]);
    assert.equal(h.conditions('b').find((c) => c.type === 'Ready')!.status, 'False');
  });

  it('swaps not-ready for unreachable at once when a NotReady node then goes silent', async () => {
    const h = harness([
      node('a'),
      node('b', {
        ready: 'False',
        taints: [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: rfc3339(T0) },
        ],
      }),
    ]);
    h.renew('a', 'b');
    await h.controller.reconcile('monitor');
    // The first pass lifts NoExecute taints of nodes it has not seen before, as kube does.
    assert.deepEqual(h.taints('b'), []);
    h.sync();
    await h.controller.reconcile('taint');
    assert.deepEqual(h.taints('b'), ['node.kubernetes.io/not-ready:NoExecute']);
    h.sync();
    h.clock.advance(51_000);
    h.renew('a');
    await h.controller.reconcile('monitor');
    h.sync();
    h.clock.advance(5_000);
    h.renew('a');
    h.reset();
    await h.controller.reconcile('monitor');
    assert.deepEqual(summary(h.calls), ['get nodes/b', 'patch nodes/b']);
    assert.deepEqual(h.taints('b'), ['node.kubernetes.io/unreachable:NoExecute']);
  });

  it('stops tainting when every node is silent (master disruption mode)', async () => {
    const h = harness([node('only')], [pod('web', 'only')]);
    h.renew('only');
    await h.controller.reconcile('monitor');
    h.clock.advance(51_000);
    await h.controller.reconcile('monitor');
    assert.equal(h.conditions('only').find((c) => c.type === 'Ready')!.status, 'Unknown');
    h.sync();
    await h.controller.reconcile('node:only');
    h.sync();
    h.clock.advance(5_000);
    await h.controller.reconcile('monitor');
    await h.controller.reconcile('taint');
    h.clock.advance(60_000);
    await h.controller.reconcile('taint');
    assert.deepEqual(h.taints('only'), ['node.kubernetes.io/unreachable:NoSchedule']);
  });

  it('taints nodes of one zone at the eviction rate, one per 10 s', async () => {
    const zone = { 'topology.kubernetes.io/zone': 'z1' };
    const names = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
    const h = harness(names.map((n) => node(n, { labels: zone })));
    h.renew(...names);
    await h.controller.reconcile('monitor');
    h.clock.advance(51_000);
    h.renew('n0', 'n1', 'n2', 'n3');
    await h.controller.reconcile('monitor');
    h.sync();
    h.clock.advance(5_000);
    h.renew('n0', 'n1', 'n2', 'n3');
    await h.controller.reconcile('monitor');
    const first = await h.controller.reconcile('taint');
    const tainted = () =>
      names.filter((n) => h.taints(n).includes('node.kubernetes.io/unreachable:NoExecute'));
    assert.deepEqual(tainted(), ['n4']);
    assert.deepEqual(first, { requeueAfterMs: 10_000 });
    h.clock.advance(10_000);
    await h.controller.reconcile('taint');
    assert.deepEqual(tainted(), ['n4', 'n5']);
  });

  it('gives a node that never posted a Ready condition the startup grace period', async () => {
    const h = harness([node('a'), node('new', { ready: null })]);
    h.renew('a');
    await h.controller.reconcile('monitor');
    // Created an hour before T0: its startup grace (60 s from creation) is long over.
    assert.deepEqual(
      h.conditions('new').map((c) => [c.type, c.status, c.reason, c.message]),
      ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => [
        type,
        'Unknown',
        'NodeStatusNeverUpdated',
        'Kubelet never posted node status.',
      ]),
    );
  });
});

describe('NodeLifecycleController: node and pod events', () => {
  it('mirrors conditions and cordoning in NoSchedule taints and keeps other taints', async () => {
    const h = harness([
      node('a', {
        unschedulable: true,
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      }),
    ]);
    (h.objects['nodes/a']!.status as { conditions: NodeCondition[] }).conditions[0]!.status =
      'True';
    h.sync();
    await h.controller.reconcile('node:a');
    assert.deepEqual(h.taints('a'), [
      'dedicated:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    (h.objects['nodes/a']!.spec as { unschedulable?: boolean }).unschedulable = false;
    h.sync();
    await h.controller.reconcile('node:a');
    assert.deepEqual(h.taints('a'), [
      'dedicated:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
    ]);
  });

  it('adds the beta os and arch labels', async () => {
    const h = harness([
      node('a', { labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } }),
    ]);
    await h.controller.reconcile('node:a');
    assert.deepEqual(h.calls.at(-1)!.body, {
      metadata: {
        labels: { 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64' },
      },
    });
  });

  it('marks a pod bound to a node that is not Ready not Ready', async () => {
    const h = harness([node('a'), node('b')], [pod('late', 'b')]);
    h.renew('a', 'b');
    await h.controller.reconcile('monitor');
    await h.controller.reconcile('pod:ns/late');
    assert.deepEqual(summary(h.calls), [], 'Ready node: nothing to do');
    h.clock.advance(5_000);
    h.renew('a', 'b');
    h.post('b', 'False');
    await h.controller.reconcile('monitor');
    assert.ok(
      !summary(h.calls).includes('update pods/late/status'),
      'a node that reports NotReady itself leaves its pods to its agent',
    );
    h.reset();
    await h.controller.reconcile('pod:ns/late');
    assert.deepEqual(summary(h.calls), ['update pods/late/status']);
  });
});
