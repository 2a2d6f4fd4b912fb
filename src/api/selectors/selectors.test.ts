import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromSpec,
} from './index.ts';

const labels = { app: 'web', tier: 'front', version: '3' };

describe('label selectors', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!canary', true],
    ['tier in (front, back)', true],
    ['tier notin (front)', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['version>2', true],
    ['version<2', false],
    ['example.com/role', false],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} → ${expected}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected);
    });
  }
  for (const bad of ['app=', '=web', 'app in (a', 'app=web,', 'a b', 'app=-bad-', 'x>y']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      if (bad === 'app=') {
        assert.equal(matchesLabels(parseLabelSelector(bad), { app: '' }), true);
        return;
      }
      assert.throws(() => parseLabelSelector(bad));
    });
  }
  it('converts and formats structured selectors', () => {
    const sel = selectorFromSpec({
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }],
    });
    assert.equal(matchesLabels(sel, labels), true);
    assert.equal(formatLabelSelector(sel), 'app=web,tier in (back,front)');
  });
});

describe('field selectors', () => {
  const values: Record<string, string> = { 'metadata.name': 'web', 'status.phase': 'Running' };
  const cases: [string, boolean][] = [
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['metadata.name=web,status.phase=Running', true],
    ['status.phase!=Pending', true],
  ];
  for (const [selector, expected] of cases) {
    it(`${selector} → ${expected}`, () => {
      assert.equal(
        matchesFields(parseFieldSelector(selector), (f) => values[f]),
        expected,
      );
    });
  }
  it('refuses a requirement without an operator', () => {
    assert.throws(() => parseFieldSelector('metadata.name'), /invalid selector/);
  });
});
