import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeHash } from './hash.ts';
import { resolveFenceposts } from './replica-sets.ts';
import { deployment, podTemplate, replicaSet } from './fixtures.ts';
import { setup, sizes } from './test-support.ts';

// One sync of a rolling update from v1 (old) to v2 (new): which ReplicaSets it resizes.

const h1 = `web-${computeHash(podTemplate('v1'))}`;
const h2 = `web-${computeHash(podTemplate('v2'))}`;

interface Step {
  name: string;
  replicas: number;
  surge: number | string;
  unavailable: number | string;
  /** [spec.replicas, available] */
  old: [number, number];
  /** [spec.replicas, available]; null: not created yet. */
  new: [number, number] | null;
  want: string[];
  events?: string[];
}

const steps: Step[] = [
  {
    name: 'creates the new ReplicaSet at maxSurge',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [3, 3], new: null },
    want: [`${h2}=1`],
    events: [`Scaled up replica set ${h2} to 1`],
  },
  {
    name: 'scales the new ReplicaSet up by maxSurge',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [3, 3], new: [0, 0] },
    want: [`${h2}=1`],
    events: [`Scaled up replica set ${h2} to 1 from 0`],
  },
  {
    name: 'waits while the surged pod is not available',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [3, 3], new: [1, 0] },
    want: [],
  },
  {
    name: 'scales the old ReplicaSet down once the new pod is available',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [3, 3], new: [1, 1] },
    want: [`${h1}=2`],
    events: [`Scaled down replica set ${h1} to 2 from 3`],
  },
  {
    name: '25% of 10 surges 3 at once',
    ...{ replicas: 10, surge: '25%', unavailable: '25%', old: [10, 10], new: [0, 0] },
    want: [`${h2}=3`],
  },
  {
    name: 'and lets 2 old replicas go while the new ones are unavailable',
    ...{ replicas: 10, surge: '25%', unavailable: '25%', old: [10, 10], new: [3, 0] },
    want: [`${h1}=8`],
  },
  {
    name: 'removes unhealthy old replicas first, within the budget',
    ...{ replicas: 3, surge: 1, unavailable: 1, old: [3, 1], new: [1, 0] },
    want: [`${h1}=2`],
  },
  {
    name: 'with maxSurge 0 and maxUnavailable 0, one replica may be unavailable',
    ...{ replicas: 2, surge: 0, unavailable: 0, old: [2, 2], new: [0, 0] },
    want: [`${h1}=1`],
  },
  {
    name: 'rounds a percentage surge up and unavailability down',
    ...{ replicas: 5, surge: '30%', unavailable: '30%', old: [5, 5], new: [0, 0] },
    want: [`${h2}=2`],
  },
  {
    name: 'then lets one old replica go',
    ...{ replicas: 5, surge: '30%', unavailable: '30%', old: [5, 5], new: [2, 0] },
    want: [`${h1}=4`],
  },
  {
    name: 'scales a new ReplicaSet above spec.replicas down',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [0, 0], new: [4, 4] },
    want: [`${h2}=3`],
  },
  {
    name: 'does nothing more once the rollout is done',
    ...{ replicas: 3, surge: 1, unavailable: 0, old: [0, 0], new: [3, 3] },
    want: [],
  },
];

describe('rolling update, one sync', () => {
  for (const step of steps) {
    it(step.name, async () => {
      const d = deployment('web', {
        replicas: step.replicas,
        image: 'v2',
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: step.surge, maxUnavailable: step.unavailable },
        },
      });
      const { surge } = resolveFenceposts(step.surge, step.unavailable, step.replicas);
      const annotations = { desired: step.replicas, max: step.replicas + surge };
      const rss = [
        replicaSet(d, {
          image: 'v1',
          replicas: step.old[0],
          available: step.old[1],
          revision: 1,
          age: 60,
          ...annotations,
        }),
      ];
      if (step.new) {
        rss.push(
          replicaSet(d, {
            image: 'v2',
            replicas: step.new[0],
            available: step.new[1],
            revision: 2,
            age: 1,
            ...annotations,
          }),
        );
      }
      const { dc, calls, events } = setup([d], rss);
      await dc.reconcile('ns/web');
      assert.deepEqual(sizes(calls), step.want);
      if (step.events) {
        assert.deepEqual(
          events.map((e) => e.replace('Deployment/web Normal ScalingReplicaSet ', '')),
          step.events,
        );
      }
    });
  }
});
