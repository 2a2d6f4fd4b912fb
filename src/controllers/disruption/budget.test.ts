import { rfc3339 } from '../../api/index.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../api/index.ts';
import {
  countHealthy,
  DELETION_TIMEOUT_MS,
  expectedCounts,
  liveDisruptions,
  nextStatus,
  scaledValue,
  selectsPod,
  type BudgetSpec,
  type ScaleFinder,
} from '../../api/disruption/index.ts';
import { workloadScaleFinder, type WorkloadCaches } from './scale.ts';

// The budget arithmetic of Kubernetes' disruption controller, case by case.

const NOW = Date.parse('2025-01-01T12:00:00Z');

function owner(kind: string, name: string, apiVersion = 'apps/v1'): OwnerReference {
  return { apiVersion, kind, name, uid: `uid-${name}`, controller: true };
}

function pod(
  name: string,
  opts: { ready?: boolean; controller?: OwnerReference; deleting?: boolean; labels?: object } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      labels: { app: 'web', ...opts.labels },
      ...(opts.controller ? { ownerReferences: [opts.controller] } : {}),
      ...(opts.deleting ? { deletionTimestamp: rfc3339(NOW) } : {}),
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

/** A finder that knows controllers by name. */
function scales(replicas: Record<string, number>): ScaleFinder {
  return async (ref) =>
    ref.name in replicas ? { uid: ref.uid, replicas: replicas[ref.name]! } : null;
}

describe('scaledValue (intstr.GetScaledValueFromIntOrPercent)', () => {
  const cases: [string, number | string, number, boolean, number][] = [
    ['an integer as is', 3, 10, true, 3],
    ['a percentage rounded up', '50%', 5, true, 3],
    ['a percentage rounded down', '50%', 5, false, 2],
    ['0%', '0%', 7, true, 0],
    ['100%', '100%', 7, true, 7],
    ['a small percentage of a few rounds up to one', '1%', 3, true, 1],
  ];
  for (const [what, value, total, roundUp, want] of cases) {
    it(what, () => assert.equal(scaledValue(value, total, roundUp), want));
  }
  it('rejects a string that is not a percentage', () => {
    assert.throws(
      () => scaledValue('3', 10, true),
      /^Error: invalid value for IntOrString: invalid type: string is not a percentage$/,
    );
  });
});

describe('expectedCounts (getExpectedPodCount)', () => {
  const rs = owner('ReplicaSet', 'web-rs');
  const ss = owner('StatefulSet', 'db');
  const three = [
    pod('a', { controller: rs }),
    pod('b', { controller: rs }),
    pod('c', { controller: rs }),
  ];
  const cases: {
    name: string;
    spec: BudgetSpec;
    pods: KubeObject[];
    replicas?: Record<string, number>;
    want: { expectedPods: number; desiredHealthy: number; unmanagedPods?: string[] };
  }[] = [
    {
      name: 'minAvailable integer: expected is the number of pods, controllers unasked',
      spec: { minAvailable: 2 },
      pods: [pod('a'), pod('b'), pod('c')],
      want: { expectedPods: 3, desiredHealthy: 2 },
    },
    {
      name: 'minAvailable integer above the pod count',
      spec: { minAvailable: 5 },
      pods: three,
      want: { expectedPods: 3, desiredHealthy: 5 },
    },
    {
      name: 'minAvailable percent of the controller scale',
      spec: { minAvailable: '50%' },
      pods: three,
      replicas: { 'web-rs': 4 },
      want: { expectedPods: 4, desiredHealthy: 2 },
    },
    {
      name: 'minAvailable percent rounds up',
      spec: { minAvailable: '50%' },
      pods: three,
      replicas: { 'web-rs': 5 },
      want: { expectedPods: 5, desiredHealthy: 3 },
    },
    {
      name: 'maxUnavailable integer',
      spec: { maxUnavailable: 1 },
      pods: three,
      replicas: { 'web-rs': 5 },
      want: { expectedPods: 5, desiredHealthy: 4 },
    },
    {
      name: 'maxUnavailable percent rounds up (fewer healthy needed)',
      spec: { maxUnavailable: '30%' },
      pods: three,
      replicas: { 'web-rs': 5 },
      want: { expectedPods: 5, desiredHealthy: 3 },
    },
    {
      name: 'maxUnavailable 100%',
      spec: { maxUnavailable: '100%' },
      pods: three,
      replicas: { 'web-rs': 3 },
      want: { expectedPods: 3, desiredHealthy: 0 },
    },
    {
      name: 'maxUnavailable above the scale never goes below zero',
      spec: { maxUnavailable: 10 },
      pods: three,
      replicas: { 'web-rs': 3 },
      want: { expectedPods: 3, desiredHealthy: 0 },
    },
    {
      name: 'the scales of several controllers add up, each counted once',
      spec: { maxUnavailable: 1 },
      pods: [...three, pod('db-0', { controller: ss }), pod('db-1', { controller: ss })],
      replicas: { 'web-rs': 3, db: 2 },
      want: { expectedPods: 5, desiredHealthy: 4 },
    },
    {
      name: 'pods without a controller are left out with percentages',
      spec: { minAvailable: '100%' },
      pods: [pod('a', { controller: rs }), pod('loner')],
      replicas: { 'web-rs': 2 },
      want: { expectedPods: 2, desiredHealthy: 2, unmanagedPods: ['loner'] },
    },
    {
      name: 'no pods: nothing expected',
      spec: { maxUnavailable: '10%' },
      pods: [],
      want: { expectedPods: 0, desiredHealthy: 0 },
    },
    {
      name: 'neither field set',
      spec: {},
      pods: three,
      want: { expectedPods: 0, desiredHealthy: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await expectedCounts(c.spec, c.pods, scales(c.replicas ?? {}));
      assert.deepEqual(got, { unmanagedPods: [], ...c.want });
    });
  }

  it('fails when a controller cannot be found', async () => {
    await assert.rejects(
      expectedCounts({ minAvailable: '50%' }, three, scales({})),
      /^Error: found no controllers for pod "a"$/,
    );
  });
});

describe('workloadScaleFinder', () => {
  const store = (objs: KubeObject[]) => {
    const byKey = new Map(objs.map((o) => [`${o.metadata!.namespace}/${o.metadata!.name}`, o]));
    return {
      get: (k: string) => byKey.get(k),
      list: () => [...byKey.values()],
      keys: () => [...byKey.keys()],
      size: byKey.size,
      byIndex: () => [],
      addIndexer: () => {},
    };
  };
  const workload = (kind: string, name: string, replicas?: number, ctl?: OwnerReference) => ({
    apiVersion: kind === 'ReplicationController' ? 'v1' : 'apps/v1',
    kind,
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      ...(ctl ? { ownerReferences: [ctl] } : {}),
    },
    spec: replicas === undefined ? {} : { replicas },
  });
  const caches: WorkloadCaches = {
    replicationControllers: store([workload('ReplicationController', 'rc', 2)]),
    replicaSets: store([
      workload('ReplicaSet', 'deploy-rs', 1, owner('Deployment', 'deploy')),
      workload('ReplicaSet', 'orphan-rs', 1, owner('Deployment', 'gone')),
      workload('ReplicaSet', 'plain-rs', 4),
    ]),
    deployments: store([workload('Deployment', 'deploy', 6)]),
    statefulSets: store([workload('StatefulSet', 'sts')]),
  };
  const viaScale: ScaleFinder = async (ref) =>
    ref.kind === 'Custom' || ref.name === 'orphan-rs' ? { uid: ref.uid, replicas: 9 } : null;
  const find = workloadScaleFinder(caches, viaScale);
  const cases: [string, OwnerReference, { uid: string; replicas: number } | null][] = [
    [
      'a ReplicationController',
      owner('ReplicationController', 'rc', 'v1'),
      { uid: 'uid-rc', replicas: 2 },
    ],
    [
      'a Deployment through its ReplicaSet',
      owner('ReplicaSet', 'deploy-rs'),
      { uid: 'uid-deploy', replicas: 6 },
    ],
    [
      'a ReplicaSet of its own',
      owner('ReplicaSet', 'plain-rs'),
      { uid: 'uid-plain-rs', replicas: 4 },
    ],
    [
      'a StatefulSet, replicas defaulting to 1',
      owner('StatefulSet', 'sts'),
      { uid: 'uid-sts', replicas: 1 },
    ],
    [
      'a ReplicaSet whose Deployment is gone: the scale subresource',
      owner('ReplicaSet', 'orphan-rs'),
      { uid: 'uid-orphan-rs', replicas: 9 },
    ],
    [
      'another kind: the scale subresource',
      owner('Custom', 'c', 'example.com/v1'),
      { uid: 'uid-c', replicas: 9 },
    ],
    ['an object with another uid', { ...owner('ReplicaSet', 'plain-rs'), uid: 'other' }, null],
    ['a kind in the wrong group', owner('StatefulSet', 'sts', 'example.com/v1'), null],
  ];
  for (const [what, ref, want] of cases) {
    it(what, async () => assert.deepEqual(await find(ref, 'ns'), want));
  }
});

describe('healthy pods and disruptedPods', () => {
  const recent = rfc3339(NOW - 30_000);
  const old = rfc3339(NOW - DELETION_TIMEOUT_MS - 1000);
  const pods = [
    pod('ready'),
    pod('unready', { ready: false }),
    pod('deleting', { deleting: true }),
    pod('evicted'),
    pod('stale'),
  ];
  const status = { evicted: recent, stale: old, deleting: recent, gone: recent };

  it('keeps only recent entries of pods that exist and are not yet being deleted', () => {
    const live = liveDisruptions(pods, status, NOW);
    assert.deepEqual(live.disruptedPods, { evicted: recent });
    assert.deepEqual(live.expired, ['stale']);
    assert.equal(live.recheckAt, NOW - 30_000 + DELETION_TIMEOUT_MS);
  });

  it('counts Ready pods that are neither being deleted nor just evicted', () => {
    const live = liveDisruptions(pods, status, NOW);
    // ready and stale count; unready, deleting and evicted do not.
    assert.equal(countHealthy(pods, live.disruptedPods, NOW), 2);
  });

  it('has nothing to recheck without entries', () => {
    assert.deepEqual(liveDisruptions(pods, undefined, NOW), { disruptedPods: {}, expired: [] });
  });
});

describe('nextStatus (updatePdbStatus)', () => {
  const pdb = (status: object = {}, generation = 1): KubeObject => ({
    metadata: { name: 'b', namespace: 'ns', generation },
    spec: { minAvailable: 2 },
    status,
  });
  const observed = (currentHealthy: number, desiredHealthy: number, expectedPods: number) => ({
    currentHealthy,
    desiredHealthy,
    expectedPods,
    disruptedPods: {},
  });
  const cases: [string, ReturnType<typeof observed>, number, string, string][] = [
    ['healthy above desired', observed(3, 2, 3), 1, 'True', 'SufficientPods'],
    ['healthy at desired', observed(2, 2, 3), 0, 'False', 'InsufficientPods'],
    ['healthy below desired', observed(1, 2, 3), 0, 'False', 'InsufficientPods'],
    ['nothing expected yet', observed(3, 0, 0), 0, 'False', 'InsufficientPods'],
    ['maxUnavailable 100%', observed(3, 0, 3), 3, 'True', 'SufficientPods'],
  ];
  for (const [what, obs, allowed, condStatus, reason] of cases) {
    it(what, () => {
      const next = nextStatus(pdb(), obs, NOW)!;
      assert.equal(next.disruptionsAllowed, allowed);
      assert.equal(next.observedGeneration, 1);
      assert.deepEqual(next.conditions, [
        {
          type: 'DisruptionAllowed',
          status: condStatus,
          reason,
          message: '',
          observedGeneration: 1,
          lastTransitionTime: rfc3339(NOW),
        },
      ]);
    });
  }

  it('answers nothing when the status is current', () => {
    const first = nextStatus(pdb(), observed(3, 2, 3), NOW)!;
    assert.equal(nextStatus(pdb(first), observed(3, 2, 3), NOW + 1000), undefined);
  });

  it('rewrites the status of a newer generation, keeping the transition time', () => {
    const first = nextStatus(pdb(), observed(3, 2, 3), NOW)!;
    const next = nextStatus(pdb(first, 2), observed(3, 2, 3), NOW + 1000)!;
    assert.equal(next.observedGeneration, 2);
    assert.equal(next.conditions![0]!.lastTransitionTime, rfc3339(NOW));
    assert.equal(next.conditions![0]!.observedGeneration, 2);
  });
});

describe('selectsPod', () => {
  const budget = (selector: unknown, namespace = 'ns'): KubeObject => ({
    metadata: { name: 'b', namespace },
    spec: { selector },
  });
  const cases: [string, KubeObject, boolean][] = [
    ['matching labels', budget({ matchLabels: { app: 'web' } }), true],
    ['other labels', budget({ matchLabels: { app: 'db' } }), false],
    ['an empty selector selects every pod', budget({}), true],
    ['no selector selects nothing', budget(undefined), false],
    ['another namespace', budget({}, 'other'), false],
    [
      'an expression',
      budget({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }),
      true,
    ],
    [
      'an invalid operator matches nothing',
      budget({ matchExpressions: [{ key: 'app', operator: 'Near' }] }),
      false,
    ],
  ];
  for (const [what, pdb, want] of cases) {
    it(what, () => assert.equal(selectsPod(pdb, pod('p')), want));
  }
});
