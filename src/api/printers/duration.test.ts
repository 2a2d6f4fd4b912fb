import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatRFC3339, humanDuration, translateTimestampSince } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

// The cases of apimachinery's duration_test.go (TestHumanDuration, TestHumanDurationBoundaries),
// in milliseconds; Go's "-2s + 1ns" becomes -1999ms.
const cases: Array<[ms: number, want: string]> = [
  [S, '1s'],
  [70 * S, '70s'],
  [190 * S, '3m10s'],
  [70 * M, '70m'],
  [47 * H, '47h'],
  [49 * H, '2d1h'],
  [(8 * 24 + 2) * H, '8d'],
  [367 * D, '367d'],
  [(365 * 2 * 24 + 25) * H, '2y1d'],
  [(365 * 8 * 24 + 2) * H, '8y'],
  [-2 * S, '<invalid>'],
  [-2 * S + 1, '0s'],
  [0, '0s'],
  [S - 1, '0s'],
  [2 * M - 1, '119s'],
  [2 * M, '2m'],
  [2 * M + S, '2m1s'],
  [10 * M - 1, '9m59s'],
  [10 * M, '10m'],
  [10 * M + S, '10m'],
  [3 * H - 1, '179m'],
  [3 * H, '3h'],
  [3 * H + M, '3h1m'],
  [8 * H - 1, '7h59m'],
  [8 * H, '8h'],
  [8 * H + 59 * M, '8h'],
  [2 * D - 1, '47h'],
  [2 * D, '2d'],
  [2 * D + H, '2d1h'],
  [8 * D - 1, '7d23h'],
  [8 * D, '8d'],
  [8 * D + 23 * H, '8d'],
  [2 * Y - 1, '729d'],
  [2 * Y, '2y'],
  [2 * Y + 23 * H, '2y'],
  [2 * Y + 23 * H + 59 * M, '2y'],
  [2 * Y + D - 1, '2y'],
  [2 * Y + D, '2y1d'],
  [3 * Y, '3y'],
  [4 * Y, '4y'],
  [5 * Y, '5y'],
  [6 * Y, '6y'],
  [7 * Y, '7y'],
  [8 * Y - 1, '7y364d'],
  [8 * Y, '8y'],
  [8 * Y + 364 * D, '8y'],
  [9 * Y, '9y'],
  // The examples the printers are known for.
  [45 * S, '45s'],
  [200 * S, '3m20s'],
  [25 * M, '25m'],
  [3 * H + 40 * M, '3h40m'],
  [2 * D + 5 * H, '2d5h'],
  [3 * Y + 120 * D, '3y120d'],
];

for (const [ms, want] of cases) {
  test(`humanDuration(${ms}ms) = ${want}`, () => assert.equal(humanDuration(ms), want));
}

test('translateTimestampSince', () => {
  const now = new Date('2025-01-15T12:00:00Z');
  assert.equal(translateTimestampSince('2025-01-15T11:56:40Z', now), '3m20s');
  assert.equal(translateTimestampSince('2025-01-15T11:59:59.500000Z', now), '0s');
  assert.equal(translateTimestampSince('2025-01-15T12:00:05Z', now), '<invalid>');
  for (const unset of [undefined, null, '', '0001-01-01T00:00:00Z', 'garbage', 42]) {
    assert.equal(translateTimestampSince(unset, now), '<unknown>');
  }
});

test('formatRFC3339 renders Go time.RFC3339 in UTC', () => {
  assert.equal(formatRFC3339('2025-01-15T13:04:05.123+01:00'), '2025-01-15T12:04:05Z');
  assert.equal(formatRFC3339(undefined), '0001-01-01T00:00:00Z');
});
