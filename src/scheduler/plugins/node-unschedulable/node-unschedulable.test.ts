import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Toleration } from '../helper/index.ts';
import { makeNode, makePod, makeSnapshot, runFilter, summarize } from '../testing/fixtures.ts';
import { NodeUnschedulable } from './index.ts';

const CORDONED = 'UnschedulableAndUnresolvable: node(s) were unschedulable';

describe('NodeUnschedulable', () => {
  const cases: {
    name: string;
    unschedulable: boolean;
    tolerations?: Toleration[];
    want: string;
  }[] = [
    { name: 'schedulable node', unschedulable: false, want: 'Success' },
    { name: 'cordoned node', unschedulable: true, want: CORDONED },
    {
      name: 'tolerated by the unschedulable taint toleration',
      unschedulable: true,
      tolerations: [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
      want: 'Success',
    },
    {
      name: 'tolerated by a toleration of everything',
      unschedulable: true,
      tolerations: [{ operator: 'Exists' }],
      want: 'Success',
    },
    {
      name: 'a NoExecute toleration does not do',
      unschedulable: true,
      tolerations: [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' },
      ],
      want: CORDONED,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = makeSnapshot([makeNode('n1', { unschedulable: c.unschedulable })]);
      const pod = makePod('p', { tolerations: c.tolerations });
      assert.equal(
        summarize(runFilter(new NodeUnschedulable(), pod, snapshot).statuses).n1,
        c.want,
      );
    });
  }
});
