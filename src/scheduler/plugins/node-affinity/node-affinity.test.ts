import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affinity, NodeSelectorRequirement } from '../helper/index.ts';
import {
  makeNode,
  makePod,
  makeSnapshot,
  runFilter,
  runScore,
  summarize,
} from '../testing/fixtures.ts';
import { NodeAffinity } from './index.ts';

const NO_MATCH = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";

const required = (...terms: NodeSelectorRequirement[][]): Affinity => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
    },
  },
});

const nodes = () => [
  makeNode('n1', { labels: { zone: 'a', disk: 'ssd', cores: '8' } }),
  makeNode('n2', { labels: { zone: 'b', cores: '16' } }),
  makeNode('n3', { labels: { zone: 'c', cores: 'many' } }),
];

describe('NodeAffinity filter', () => {
  const cases: {
    name: string;
    nodeSelector?: Record<string, string>;
    affinity?: Affinity;
    fits: string[];
  }[] = [
    { name: 'no constraints', fits: ['n1', 'n2', 'n3'] },
    { name: 'nodeSelector', nodeSelector: { zone: 'a', disk: 'ssd' }, fits: ['n1'] },
    {
      name: 'In',
      affinity: required([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]),
      fits: ['n1', 'n2'],
    },
    {
      name: 'NotIn (absent key matches)',
      affinity: required([{ key: 'disk', operator: 'NotIn', values: ['ssd'] }]),
      fits: ['n2', 'n3'],
    },
    { name: 'Exists', affinity: required([{ key: 'disk', operator: 'Exists' }]), fits: ['n1'] },
    {
      name: 'DoesNotExist',
      affinity: required([{ key: 'disk', operator: 'DoesNotExist' }]),
      fits: ['n2', 'n3'],
    },
    {
      name: 'Gt (non-integer labels never match)',
      affinity: required([{ key: 'cores', operator: 'Gt', values: ['8'] }]),
      fits: ['n2'],
    },
    {
      name: 'Lt',
      affinity: required([{ key: 'cores', operator: 'Lt', values: ['16'] }]),
      fits: ['n1'],
    },
    {
      name: 'terms are ORed, expressions ANDed',
      affinity: required(
        [
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'disk', operator: 'DoesNotExist' },
        ],
        [{ key: 'zone', operator: 'In', values: ['c'] }],
      ),
      fits: ['n3'],
    },
    {
      name: 'a term that does not parse matches nothing, others still do',
      affinity: required(
        [{ key: 'cores', operator: 'Gt', values: ['eight'] }],
        [{ key: 'zone', operator: 'In', values: ['b'] }],
      ),
      fits: ['n2'],
    },
    { name: 'empty terms match nothing', affinity: required([]), fits: [] },
    {
      name: 'nodeSelector and affinity both apply',
      nodeSelector: { zone: 'b' },
      affinity: required([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]),
      fits: ['n2'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', { nodeSelector: c.nodeSelector, affinity: c.affinity });
      const got = summarize(runFilter(new NodeAffinity(), pod, makeSnapshot(nodes())).statuses);
      const want = Object.fromEntries(
        ['n1', 'n2', 'n3'].map((n) => [n, c.fits.includes(n) ? 'Success' : NO_MATCH]),
      );
      assert.deepEqual(got, want);
    });
  }

  it('matchFields metadata.name: other nodes did not satisfy the plugin', () => {
    const affinity: Affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }],
              matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }],
            },
          ],
        },
      },
    };
    const got = summarize(
      runFilter(new NodeAffinity(), makePod('p', { affinity }), makeSnapshot(nodes())).statuses,
    );
    assert.deepEqual(got, {
      n1: "UnschedulableAndUnresolvable: node(s) didn't satisfy plugin(s) [NodeAffinity]",
      n2: NO_MATCH,
      n3: "UnschedulableAndUnresolvable: node(s) didn't satisfy plugin(s) [NodeAffinity]",
    });
  });

  it('conflicting node names reject the pod in pre-filter', () => {
    const names = (n: string) => ({
      matchFields: [{ key: 'metadata.name', operator: 'In', values: [n] }],
    });
    const affinity: Affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              ...names('n1'),
              matchFields: [...names('n1').matchFields, ...names('n2').matchFields],
            },
          ],
        },
      },
    };
    const { preFilter } = runFilter(
      new NodeAffinity(),
      makePod('p', { affinity }),
      makeSnapshot(nodes()),
    );
    assert.deepEqual(preFilter, {
      code: 'UnschedulableAndUnresolvable',
      reasons: ['pod affinity terms conflict'],
    });
  });
});

describe('NodeAffinity score', () => {
  const preferred = (...terms: [number, NodeSelectorRequirement[]][]): Affinity => ({
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: terms.map(([weight, matchExpressions]) => ({
        weight,
        preference: { matchExpressions },
      })),
    },
  });
  const cases: { name: string; affinity?: Affinity; want: Record<string, number> }[] = [
    { name: 'no preferences', want: { n1: 0, n2: 0, n3: 0 } },
    {
      // raw n1 = 2 + 5 = 7, n2 = 5, n3 = 0; normalized to 100 * raw / 7.
      name: 'weights add up and are normalized',
      affinity: preferred(
        [2, [{ key: 'disk', operator: 'Exists' }]],
        [5, [{ key: 'zone', operator: 'In', values: ['a', 'b'] }]],
      ),
      want: { n1: 100, n2: 71, n3: 0 },
    },
    {
      name: 'empty preferences are ignored',
      affinity: preferred([10, []], [1, [{ key: 'zone', operator: 'In', values: ['c'] }]]),
      want: { n1: 0, n2: 0, n3: 100 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p', { affinity: c.affinity });
      assert.deepEqual(runScore(new NodeAffinity(), pod, makeSnapshot(nodes())), c.want);
    });
  }
});
