import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeNode, makePod, makeSnapshot, runFilter, summarize } from '../testing/fixtures.ts';
import { NodeName } from './index.ts';

describe('NodeName', () => {
  const cases = [
    {
      name: 'no node name fits anywhere',
      nodeName: undefined,
      want: { n1: 'Success', n2: 'Success' },
    },
    {
      name: 'a node name fits only there',
      nodeName: 'n1',
      want: {
        n1: 'Success',
        n2: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name",
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const snapshot = makeSnapshot([makeNode('n1'), makeNode('n2')]);
      const pod = makePod('p', { nodeName: c.nodeName });
      assert.deepEqual(summarize(runFilter(new NodeName(), pod, snapshot).statuses), c.want);
    });
  }
});
