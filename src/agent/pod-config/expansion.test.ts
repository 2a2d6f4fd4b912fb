import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expand, mappingFor } from './expansion.ts';

describe('expand', () => {
  const mapping = mappingFor(
    new Map([
      ['VAR_A', 'A'],
      ['VAR_B', 'B'],
      ['VAR_EMPTY', ''],
    ]),
    new Map([
      ['VAR_A', 'shadowed'],
      ['SVC', 'svc'],
    ]),
  );
  const cases: [input: string, want: string][] = [
    ['', ''],
    ['plain', 'plain'],
    ['$(VAR_A)', 'A'],
    ['___$(VAR_A)___$(VAR_B)', '___A___B'],
    ['$(SVC)', 'svc'],
    ['$(VAR_EMPTY)x', 'x'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$$', '$'],
    ['$', '$'],
    ['x$', 'x$'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(', '$('],
    ['$()', '$()'],
    ['$VAR_A', '$VAR_A'],
    ['$(VAR_A)$(VAR_A', 'A$(VAR_A'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['?$(VAR_A)$(VAR_B)?', '?AB?'],
    ['é$(VAR_A)ü', 'éAü'],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.equal(expand(input, mapping), want));
  }
});
