import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileNodeSelectorTerm, termMatches, type NodeSelectorTerm } from './index.ts';

// One node (its labels and name) against node selector terms, as nodeaffinity reads them.

const labels = { zone: 'a', disk: 'ssd', cores: '8', 'gpu-': '' };
const matches = (term: NodeSelectorTerm, name = 'n1') => {
  const compiled = compileNodeSelectorTerm(term);
  return !!compiled && termMatches(compiled, labels, name);
};
const expr = (key: string, operator: string, values?: string[]) => ({
  matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
});

describe('node selector terms', () => {
  const cases: [string, NodeSelectorTerm, boolean][] = [
    ['In', expr('zone', 'In', ['a', 'b']), true],
    ['In, other value', expr('zone', 'In', ['b']), false],
    ['In without values does not parse', expr('zone', 'In', []), false],
    ['NotIn of a missing label', expr('rack', 'NotIn', ['x']), true],
    ['Exists', expr('disk', 'Exists'), true],
    ['Exists with values does not parse', expr('disk', 'Exists', ['ssd']), false],
    ['DoesNotExist', expr('rack', 'DoesNotExist'), true],
    ['Gt', expr('cores', 'Gt', ['4']), true],
    ['Lt', expr('cores', 'Lt', ['4']), false],
    ['Gt with a non-integer bound does not parse', expr('cores', 'Gt', ['4.5']), false],
    ['unknown operator', expr('zone', 'Equals', ['a']), false],
    ['empty term matches nothing', {}, false],
    [
      'requirements are ANDed',
      {
        matchExpressions: [
          ...expr('zone', 'In', ['a']).matchExpressions,
          ...expr('disk', 'DoesNotExist').matchExpressions,
        ],
      },
      false,
    ],
    [
      'metadata.name In',
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
      true,
    ],
    [
      'metadata.name NotIn',
      { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] },
      false,
    ],
    [
      'other fields do not parse',
      { matchFields: [{ key: 'spec.x', operator: 'In', values: ['n1'] }] },
      false,
    ],
  ];
  for (const [name, term, want] of cases) it(name, () => assert.equal(matches(term), want));
});
