import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  accessModesString,
  formatLabelSelector,
  formatLabels,
  joinHostPort,
  listWithMore,
  selectorString,
} from './format.ts';
import { formatQuantity } from './quantity.ts';

// Quantity.String() canonical forms.
const quantities: Array<[input: unknown, want: string]> = [
  ['1Gi', '1Gi'],
  ['1024Mi', '1Gi'],
  ['1.5Gi', '1536Mi'],
  ['1536', '1536'],
  ['1000Mi', '1000Mi'],
  ['100Ki', '100Ki'],
  ['512', '512'],
  ['0.5Ki', '512'],
  ['500m', '500m'],
  ['1500m', '1500m'],
  ['2000m', '2'],
  ['0.5', '500m'],
  ['1000', '1k'],
  ['1000000000', '1G'],
  ['100M', '100M'],
  ['1e3', '1e3'],
  ['1E6', '1e6'],
  ['12e2', '1200'],
  ['0', '0'],
  ['0Gi', '0'],
  ['-1500m', '-1500m'],
  ['0.0000000001', '1n'],
  [5, '5'],
  ['10Gi ', '10Gi'],
];

for (const [input, want] of quantities) {
  test(`quantity ${JSON.stringify(input)} → ${want}`, () =>
    assert.equal(formatQuantity(input), want));
}

test('unset and unparsable quantities', () => {
  assert.equal(formatQuantity(undefined), '0');
  assert.equal(formatQuantity(null, '<nil>'), '<nil>');
  assert.equal(formatQuantity('lots'), 'lots');
});

test('formatLabels sorts keys and answers <none> when empty', () => {
  assert.equal(formatLabels({ tier: 'web', app: 'shop' }), 'app=shop,tier=web');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels(undefined), '<none>');
});

test('label selectors render like labels.Selector.String()', () => {
  const selector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['frontend', 'backend'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'Exists' },
    ],
  };
  assert.equal(
    formatLabelSelector(selector),
    'app=web,!canary,env notin (dev),tier in (backend,frontend),zone',
  );
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(
    formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }),
    '<error>',
  );
  assert.equal(
    formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
    '<error>',
  );
  assert.equal(selectorString({}), '');
  assert.equal(selectorString({ matchLabels: { 'bad key!': 'x' } }), null);
});

test('small helpers', () => {
  assert.equal(joinHostPort('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(joinHostPort('fd00::1', 80), '[fd00::1]:80');
  assert.equal(listWithMore([], 0, 3), '<unset>');
  assert.equal(listWithMore(['a', 'b', 'c', 'd'], 4, 3), 'a,b,c + 1 more...');
  assert.equal(
    accessModesString(['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce', 'ReadWriteOncePod']),
    'RWO,RWX,RWOP',
  );
});
