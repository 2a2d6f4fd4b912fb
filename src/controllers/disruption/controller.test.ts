import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { builtinRegistry, rfc3339 } from '../../api/index.ts';
import { FakeClock, objectKey, type StoreReader } from '../../client/index.ts';
import { DELETION_TIMEOUT_MS } from '../../api/disruption/index.ts';
import {
  DisruptionController,
  type DisruptionCaches,
  type DisruptionClient,
} from './controller.ts';
import { STALE_POD_DISRUPTION_TIMEOUT_MS } from '../../api/disruption/index.ts';

// The controller against seeded caches: reconcile one item, then look at the API calls.

const NOW = Date.parse('2025-01-01T12:00:00Z');
const silent = { info: () => {}, warn: () => {}, error: () => {} };

function store(objs: KubeObject[]): StoreReader {
  const byKey = new Map(objs.map((o) => [objectKey(o), o]));
  return {
    get: (key) => byKey.get(key),
    list: () => [...byKey.values()],
    keys: () => [...byKey.keys()],
    size: byKey.size,
    byIndex: (_index, ns) => [...byKey.values()].filter((o) => o.metadata?.namespace === ns),
    addIndexer: () => {},
  };
}

interface Call {
  verb: 'get' | 'update';
  resource: string;
  name: string;
  subresource?: string;
  body?: KubeObject;
}

function recordingClient(objects: Record<string, KubeObject> = {}) {
  const calls: Call[] = [];
  const client = {
    async get(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'get', resource: ref.resource, name });
      const obj = objects[`${ref.resource}/${name}`];
      if (!obj) throw Object.assign(new Error('not found'), { code: 404, reason: 'NotFound' });
      return obj;
    },
    async update(
      ref: { resource: string },
      _ns: string,
      name: string,
      body: KubeObject,
      opts: { subresource?: string },
    ) {
      calls.push({
        verb: 'update',
        resource: ref.resource,
        name,
        subresource: opts.subresource,
        body,
      });
      return body;
    },
  } as unknown as DisruptionClient;
  return { client, calls };
}

function pod(name: string, opts: { ready?: boolean; owner?: string; conditions?: object[] } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion: '7',
      labels: { app: 'web' },
      ...(opts.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'example.com/v1',
                kind: opts.owner,
                name: 'w',
                uid: 'uid-w',
                controller: true,
              },
            ],
          }
        : {}),
    },
    status: {
      phase: 'Running',
      conditions: opts.conditions ?? [
        { type: 'Ready', status: opts.ready === false ? 'False' : 'True' },
      ],
    },
  };
}

function budget(spec: object, status: object = {}): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'ns', generation: 1, resourceVersion: '5' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    status: {
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      ...status,
    },
  };
}

function controller(
  pods: KubeObject[],
  pdbs: KubeObject[],
  objects: Record<string, KubeObject> = {},
) {
  const caches: DisruptionCaches = {
    pods: store(pods),
    budgets: store(pdbs),
    replicationControllers: store([]),
    replicaSets: store([]),
    deployments: store([]),
    statefulSets: store([]),
  };
  const { client, calls } = recordingClient(objects);
  const clock = new FakeClock(NOW);
  const dc = new DisruptionController(client, builtinRegistry(), caches, silent, { clock });
  return { dc, calls, clock };
}

describe('DisruptionController.reconcile', () => {
  it('writes the status of a budget through the status subresource', async () => {
    const pdb = budget({ minAvailable: 2 });
    const { dc, calls } = controller(
      [pod('a'), pod('b'), pod('c'), pod('d', { ready: false })],
      [pdb],
    );
    assert.equal(await dc.reconcile('pdb:ns/web'), undefined);
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.equal(call!.verb, 'update');
    assert.equal(call!.resource, 'poddisruptionbudgets');
    assert.equal(call!.subresource, 'status');
    assert.equal(call!.body!.metadata!.resourceVersion, '5', 'written against the cached version');
    assert.deepEqual(call!.body!.status, {
      observedGeneration: 1,
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 4,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: 'True',
          reason: 'SufficientPods',
          message: '',
          observedGeneration: 1,
          lastTransitionTime: rfc3339(NOW),
        },
      ],
    });
    assert.equal((pdb.status as { observedGeneration?: number }).observedGeneration, undefined);
  });

  it('makes no call when the status is already current', async () => {
    const first = controller([pod('a'), pod('b')], [budget({ minAvailable: 1 })]);
    await first.dc.reconcile('pdb:ns/web');
    const current = first.calls[0]!.body!;
    const again = controller([pod('a'), pod('b')], [current]);
    await again.dc.reconcile('pdb:ns/web');
    assert.deepEqual(again.calls, []);
  });

  it('does not count a pod the eviction API just approved, and looks again when that expires', async () => {
    const approved = rfc3339(NOW - 20_000);
    const pdb = budget({ minAvailable: 1 }, { disruptedPods: { a: approved, gone: approved } });
    const { dc, calls } = controller([pod('a'), pod('b')], [pdb]);
    const result = await dc.reconcile('pdb:ns/web');
    assert.deepEqual(result, { requeueAfterMs: DELETION_TIMEOUT_MS - 20_000 });
    const status = calls[0]!.body!.status as Record<string, unknown>;
    assert.deepEqual(status.disruptedPods, { a: approved });
    assert.equal(status.currentHealthy, 1);
    assert.equal(status.disruptionsAllowed, 0);
  });

  it('reads the scale of other controllers through the API', async () => {
    const registry = builtinRegistry();
    assert.ok(registry.byKind('apps', 'v1', 'Deployment'));
    const pdb = budget({ maxUnavailable: '50%' });
    const scaled = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'w', namespace: 'ns', uid: 'uid-w' },
      spec: { replicas: 4 },
    };
    const pods = [pod('a', { owner: 'Deployment' }), pod('b', { owner: 'Deployment' })];
    for (const p of pods) p.metadata.ownerReferences![0]!.apiVersion = 'apps/v1';
    const { dc, calls } = controller(pods, [pdb], { 'deployments/w': scaled });
    await dc.reconcile('pdb:ns/web');
    assert.deepEqual(
      calls.map((c) => `${c.verb} ${c.resource}/${c.name}`),
      ['get deployments/w', 'update poddisruptionbudgets/web'],
    );
    const status = calls[1]!.body!.status as Record<string, unknown>;
    assert.equal(status.expectedPods, 4);
    assert.equal(status.desiredHealthy, 2);
    assert.equal(status.disruptionsAllowed, 0);
  });

  it('fails safe, allowing nothing, when the expected count cannot be computed', async () => {
    const pdb = budget({ minAvailable: '50%' }, { disruptionsAllowed: 2, observedGeneration: 1 });
    const { dc, calls } = controller([pod('a', { owner: 'Widget' })], [pdb]);
    await dc.reconcile('pdb:ns/web');
    const status = calls[0]!.body!.status as Record<string, unknown>;
    assert.equal(status.disruptionsAllowed, 0);
    assert.deepEqual(status.conditions, [
      {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'SyncFailed',
        message: 'no matches for kind "Widget" in version "example.com/v1"',
        observedGeneration: 1,
        lastTransitionTime: rfc3339(NOW),
      },
    ]);
  });

  it('ignores a budget that is gone', async () => {
    const { dc, calls } = controller([pod('a')], []);
    await dc.reconcile('pdb:ns/web');
    assert.deepEqual(calls, []);
  });

  it('resets a DisruptionTarget condition left on a pod that was not deleted', async () => {
    const since = NOW - 30_000;
    const target = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastTransitionTime: rfc3339(since),
    };
    const stuck = pod('a', { conditions: [{ type: 'Ready', status: 'True' }, target] });
    const { dc, calls, clock } = controller([stuck], []);
    assert.deepEqual(await dc.reconcile('pod:ns/a'), {
      requeueAfterMs: STALE_POD_DISRUPTION_TIMEOUT_MS - 30_000,
    });
    assert.equal(calls.length, 0, 'not stale yet');
    clock.advance(STALE_POD_DISRUPTION_TIMEOUT_MS);
    await dc.reconcile('pod:ns/a');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.subresource, 'status');
    const conditions = (calls[0]!.body!.status as { conditions: object[] }).conditions;
    assert.deepEqual(conditions[1], {
      type: 'DisruptionTarget',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: rfc3339(clock.now()),
    });
  });
});
