import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Taint, Toleration } from '../helper/index.ts';
import {
  makeNode,
  makePod,
  makeSnapshot,
  runFilter,
  runScore,
  summarize,
} from '../testing/fixtures.ts';
import { TaintToleration } from './index.ts';

describe('TaintToleration filter', () => {
  const dedicated: Taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  const cases: { name: string; taints?: Taint[]; tolerations?: Toleration[]; want: string }[] = [
    { name: 'no taints', want: 'Success' },
    {
      name: 'untolerated NoSchedule taint',
      taints: [dedicated],
      want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: db}',
    },
    {
      name: 'untolerated NoExecute taint without a value',
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoExecute' }],
      want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
    },
    {
      name: 'PreferNoSchedule does not filter',
      taints: [{ key: 'a', effect: 'PreferNoSchedule' }],
      want: 'Success',
    },
    {
      name: 'tolerated with Equal',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
      want: 'Success',
    },
    {
      name: 'a different value is not tolerated',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', value: 'web' }],
      want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: db}',
    },
    {
      name: 'Exists with no key tolerates everything',
      taints: [dedicated, { key: 'x', effect: 'NoExecute' }],
      tolerations: [{ operator: 'Exists' }],
      want: 'Success',
    },
    {
      name: 'the first untolerated taint is reported',
      taints: [dedicated, { key: 'gpu', value: 'true', effect: 'NoSchedule' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}',
    },
    {
      name: 'an effect-specific toleration does not cover another effect',
      taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }],
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      want: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: db}',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = makeSnapshot([makeNode('n1', { taints: c.taints })]);
      const pod = makePod('p', { tolerations: c.tolerations });
      assert.equal(summarize(runFilter(new TaintToleration(), pod, snapshot).statuses).n1, c.want);
    });
  }
});

describe('TaintToleration score', () => {
  const prefer = (key: string, value = ''): Taint => ({ key, value, effect: 'PreferNoSchedule' });
  const cases: { name: string; tolerations?: Toleration[]; want: Record<string, number> }[] = [
    // n1 has no taints, n2 one, n3 two untolerated PreferNoSchedule taints.
    { name: 'fewer intolerable taints score higher', want: { n1: 100, n2: 50, n3: 0 } },
    {
      name: 'tolerated taints do not count',
      tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }],
      want: { n1: 100, n2: 100, n3: 0 },
    },
    {
      name: 'a toleration without effect counts',
      tolerations: [{ operator: 'Exists' }],
      want: { n1: 100, n2: 100, n3: 100 },
    },
    {
      name: 'a NoSchedule toleration does not',
      tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
      want: { n1: 100, n2: 50, n3: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = makeSnapshot([
        makeNode('n1'),
        makeNode('n2', { taints: [prefer('a')] }),
        makeNode('n3', {
          taints: [prefer('a'), prefer('b', 'x'), { key: 'c', effect: 'NoSchedule' }],
        }),
      ]);
      const pod = makePod('p', { tolerations: c.tolerations });
      assert.deepEqual(runScore(new TaintToleration(), pod, snapshot), c.want);
    });
  }
});
