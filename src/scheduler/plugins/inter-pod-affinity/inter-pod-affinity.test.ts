import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../api/index.ts';
import type { CycleState } from '../../framework/index.ts';
import type { Affinity, PodAffinityTerm } from '../helper/index.ts';
import {
  makeNode,
  makePod,
  makeSnapshot,
  runFilter,
  runScore,
  summarize,
} from '../testing/fixtures.ts';
import { SchedulerCache } from '../../cache.ts';
import { InterPodAffinity } from './index.ts';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const term = (
  app: string,
  topologyKey: string,
  extra: Partial<PodAffinityTerm> = {},
): PodAffinityTerm => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
  ...extra,
});
const affinity = (...t: PodAffinityTerm[]): Affinity => ({
  podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t },
});
const antiAffinity = (...t: PodAffinityTerm[]): Affinity => ({
  podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: t },
});

const AFFINITY = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
const ANTI = "Unschedulable: node(s) didn't match pod anti-affinity rules";
const EXISTING = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";

/** The Namespaces the scheduler knows, with their labels ('ghost' is not among them). */
const NAMESPACES = {
  default: { env: 'prod' },
  other: { env: 'dev' },
  lab: {},
};
const prodOnly = { namespaceSelector: { matchLabels: { env: 'prod' } } };
const devOnly = { namespaceSelector: { matchLabels: { env: 'dev' } } };

function cluster(extra: { n1?: KubeObject[]; n3?: KubeObject[] } = {}) {
  return makeSnapshot(
    [
      makeNode('n1', {
        labels: { [ZONE]: 'a' },
        pods: [makePod('db', { labels: { app: 'db' } }), ...(extra.n1 ?? [])],
      }),
      makeNode('n2', { labels: { [ZONE]: 'a' } }),
      makeNode('n3', { labels: { [ZONE]: 'b' }, pods: extra.n3 ?? [] }),
      makeNode('n4'),
    ],
    NAMESPACES,
  );
}

describe('InterPodAffinity filter', () => {
  const cases: {
    name: string;
    pod: KubeObject;
    n3?: KubeObject[];
    want: Record<string, string>;
  }[] = [
    {
      name: 'affinity by zone',
      pod: makePod('p', { affinity: affinity(term('db', ZONE)) }),
      want: { n1: 'Success', n2: 'Success', n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'anti-affinity by host',
      pod: makePod('p', { affinity: antiAffinity(term('db', HOST)) }),
      want: { n1: ANTI, n2: 'Success', n3: 'Success', n4: 'Success' },
    },
    {
      name: 'anti-affinity by zone (a node without the key is fine)',
      pod: makePod('p', { affinity: antiAffinity(term('db', ZONE)) }),
      want: { n1: ANTI, n2: ANTI, n3: 'Success', n4: 'Success' },
    },
    {
      name: "existing pods' anti-affinity",
      pod: makePod('p', { labels: { app: 'web' } }),
      n3: [makePod('lonely', { affinity: antiAffinity(term('web', ZONE)) })],
      want: { n1: 'Success', n2: 'Success', n3: EXISTING, n4: 'Success' },
    },
    {
      name: 'the first pod of a group may go wherever the topology key exists',
      pod: makePod('p', { labels: { app: 'cache' }, affinity: affinity(term('cache', ZONE)) }),
      want: { n1: 'Success', n2: 'Success', n3: 'Success', n4: AFFINITY },
    },
    {
      name: 'terms look in the listed namespaces only',
      pod: makePod('p', { affinity: affinity(term('db', ZONE, { namespaces: ['other'] })) }),
      want: { n1: AFFINITY, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'terms look in the pod namespace by default',
      pod: makePod('p', { namespace: 'other', affinity: affinity(term('db', ZONE)) }),
      want: { n1: AFFINITY, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'an empty namespaceSelector selects every namespace',
      pod: makePod('p', {
        namespace: 'other',
        affinity: affinity(term('db', ZONE, { namespaceSelector: {} })),
      }),
      want: { n1: 'Success', n2: 'Success', n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'a namespaceSelector selects namespaces by their labels',
      pod: makePod('p', { namespace: 'other', affinity: affinity(term('db', ZONE, prodOnly)) }),
      want: { n1: 'Success', n2: 'Success', n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'a namespaceSelector leaves out namespaces whose labels do not match',
      pod: makePod('p', { affinity: affinity(term('db', ZONE, devOnly)) }),
      want: { n1: AFFINITY, n2: AFFINITY, n3: AFFINITY, n4: AFFINITY },
    },
    {
      name: 'namespaces and namespaceSelector together mean their union',
      pod: makePod('p', {
        namespace: 'other',
        affinity: affinity(term('db', ZONE, { namespaces: ['lab'], ...devOnly })),
      }),
      n3: [makePod('lab-db', { namespace: 'lab', labels: { app: 'db' } })],
      want: { n1: AFFINITY, n2: AFFINITY, n3: 'Success', n4: AFFINITY },
    },
    {
      name: 'a NotIn namespaceSelector matches a namespace without the label',
      pod: makePod('p', {
        affinity: antiAffinity(
          term('db', HOST, {
            namespaceSelector: {
              matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }],
            },
          }),
        ),
      }),
      n3: [
        makePod('lab-db', { namespace: 'lab', labels: { app: 'db' } }),
        makePod('ghost-db', { namespace: 'ghost', labels: { app: 'db' } }),
      ],
      // n1's db is in prod; lab has no env label; ghost is unknown and matches nothing.
      want: { n1: 'Success', n2: 'Success', n3: ANTI, n4: 'Success' },
    },
    {
      name: "existing pods' anti-affinity looks at the incoming pod's namespace labels",
      pod: makePod('p', { labels: { app: 'web' } }),
      n3: [
        makePod('lonely', {
          namespace: 'other',
          affinity: antiAffinity(term('web', ZONE, prodOnly)),
        }),
      ],
      want: { n1: 'Success', n2: 'Success', n3: EXISTING, n4: 'Success' },
    },
    {
      name: "existing pods' anti-affinity ignores pods of namespaces it does not select",
      pod: makePod('p', { namespace: 'other', labels: { app: 'web' } }),
      n3: [makePod('lonely', { affinity: antiAffinity(term('web', ZONE, prodOnly)) })],
      want: { n1: 'Success', n2: 'Success', n3: 'Success', n4: 'Success' },
    },
    {
      name: 'matchLabelKeys narrow the selector with the pod’s own labels',
      pod: makePod('p', {
        labels: { rev: '2' },
        affinity: antiAffinity({ labelSelector: {}, topologyKey: HOST, matchLabelKeys: ['rev'] }),
      }),
      n3: [makePod('old', { labels: { rev: '1' } }), makePod('new', { labels: { rev: '2' } })],
      want: { n1: 'Success', n2: 'Success', n3: ANTI, n4: 'Success' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = summarize(
        runFilter(new InterPodAffinity(), c.pod, cluster({ n3: c.n3 })).statuses,
      );
      assert.deepEqual(got, c.want);
    });
  }

  it('a node seen without some of its pods (preemption) is judged without them', () => {
    const snapshot = cluster();
    const pod = makePod('p', { affinity: antiAffinity(term('db', HOST)) });
    const plugin = new InterPodAffinity();
    const state: CycleState = new Map();
    plugin.preFilter(state, pod, snapshot);
    const n1 = snapshot.get('n1')!;
    assert.equal(plugin.filter(state, pod, n1, snapshot).code, 'Unschedulable');
    assert.equal(plugin.filter(state, pod, { ...n1, pods: [] }, snapshot).code, 'Success');
  });

  it('sees a namespace relabelled between cycles, though the nodes did not change', () => {
    const cache = new SchedulerCache();
    cache.upsertNode({ metadata: { name: 'n1', labels: { [ZONE]: 'a' } } });
    cache.upsertNode({ metadata: { name: 'n2', labels: { [ZONE]: 'b' } } });
    cache.upsertAssignedPod(
      makePod('db', { namespace: 'data', labels: { app: 'db' }, nodeName: 'n1' }),
    );
    cache.upsertNamespace({ metadata: { name: 'data', labels: { env: 'dev' } } });
    const pod = makePod('p', { affinity: antiAffinity(term('db', ZONE, prodOnly)) });
    const verdicts = () =>
      summarize(runFilter(new InterPodAffinity(), pod, cache.snapshot()).statuses);
    assert.deepEqual(verdicts(), { n1: 'Success', n2: 'Success' });
    assert.equal(
      cache.upsertNamespace({ metadata: { name: 'data', labels: { env: 'prod' } } }),
      true,
    );
    assert.deepEqual(verdicts(), { n1: ANTI, n2: 'Success' });
    assert.equal(
      cache.upsertNamespace({ metadata: { name: 'data', labels: { env: 'prod' } } }),
      false,
    );
    cache.removeNamespace({ metadata: { name: 'data' } });
    assert.deepEqual(verdicts(), { n1: 'Success', n2: 'Success' });
  });

  const near = { matchExpressions: [{ key: 'a', operator: 'Near' }] };
  for (const [which, bad] of [
    ['labelSelector', { labelSelector: near, topologyKey: HOST }],
    [
      'namespaceSelector',
      { labelSelector: { matchLabels: { app: 'db' } }, namespaceSelector: near, topologyKey: HOST },
    ],
  ] as const) {
    it(`a ${which} that does not parse rejects the pod`, () => {
      const { preFilter } = runFilter(
        new InterPodAffinity(),
        makePod('p', { affinity: affinity(bad as PodAffinityTerm) }),
        cluster(),
      );
      assert.equal(preFilter.code, 'UnschedulableAndUnresolvable');
      assert.match(preFilter.reasons.join(), /Near/);
    });
  }
});

describe('InterPodAffinity score', () => {
  const weighted = (weight: number, t: PodAffinityTerm) => [{ weight, podAffinityTerm: t }];
  const cases: {
    name: string;
    pod: KubeObject;
    n1?: KubeObject[];
    n3?: KubeObject[];
    want: Record<string, number>;
  }[] = [
    { name: 'no terms anywhere', pod: makePod('p'), want: { n1: 0, n2: 0, n3: 0, n4: 0 } },
    {
      name: 'preferred affinity',
      pod: makePod('p', {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: weighted(10, term('db', ZONE)),
          },
        },
      }),
      want: { n1: 100, n2: 100, n3: 0, n4: 0 },
    },
    {
      name: 'preferred anti-affinity',
      pod: makePod('p', {
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: weighted(5, term('db', HOST)),
          },
        },
      }),
      want: { n1: 0, n2: 100, n3: 100, n4: 100 },
    },
    {
      name: "existing pods' preferred affinity for the incoming pod",
      pod: makePod('p', { labels: { app: 'web' } }),
      n3: [
        makePod('fan', {
          affinity: {
            podAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: weighted(4, term('web', ZONE)),
            },
          },
        }),
      ],
      want: { n1: 0, n2: 0, n3: 100, n4: 0 },
    },
    {
      name: 'preferred affinity to the pods of namespaces chosen by label',
      pod: makePod('p', {
        namespace: 'other',
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              ...weighted(10, term('db', ZONE, prodOnly)),
              ...weighted(30, term('db', ZONE, devOnly)),
            ],
          },
        },
      }),
      // raw: zone a +10 (db in prod), zone b +30 (dev-db in dev).
      n3: [makePod('dev-db', { namespace: 'other', labels: { app: 'db' } })],
      want: { n1: 33, n2: 33, n3: 100, n4: 0 },
    },
    {
      name: "existing pods' preferred terms look at the incoming pod's namespace labels",
      pod: makePod('p', { namespace: 'other', labels: { app: 'web' } }),
      n3: [
        makePod('fan', {
          affinity: {
            podAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: weighted(
                4,
                term('web', ZONE, devOnly),
              ),
            },
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: weighted(
                8,
                term('web', ZONE, prodOnly),
              ),
            },
          },
        }),
      ],
      want: { n1: 0, n2: 0, n3: 100, n4: 0 },
    },
    {
      // raw: n1, n2 = +1 (hard affinity weight), n3 = -3 (preferred anti-affinity).
      name: "existing pods' required affinity counts 1, their anti-affinity subtracts",
      pod: makePod('p', { labels: { app: 'web' } }),
      n1: [makePod('needy', { affinity: affinity(term('web', ZONE)) })],
      n3: [
        makePod('shy', {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: weighted(3, term('web', ZONE)),
            },
          },
        }),
      ],
      want: { n1: 100, n2: 100, n3: 0, n4: 75 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(
        runScore(new InterPodAffinity(), c.pod, cluster({ n1: c.n1, n3: c.n3 })),
        c.want,
      );
    });
  }
});
