import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { remainingBackoff } from './backoff.ts';
import {
  firstPendingIndexes,
  formatIntervals,
  matchSuccessPolicy,
  parseIntervals,
  withIndexes,
} from './indexes.ts';
import { COMPLETION_INDEX_KEY } from './pods.ts';
import type { Pod } from './types.ts';

// The arithmetic of completion indexes and of the failure back-off, table-driven.

const podAt = (ix: number): Pod => ({
  metadata: { annotations: { [COMPLETION_INDEX_KEY]: String(ix) } },
});

describe('completion indexes', () => {
  const cases: [string, number, string][] = [
    ['', 5, ''],
    ['0', 5, '0'],
    ['0,1', 5, '0,1'],
    ['0-2', 5, '0-2'],
    ['0,1,2,5-7', 10, '0-2,5-7'],
    ['3-9', 5, '3,4'],
    ['x,2', 5, '2'],
    ['7', 5, ''],
  ];
  for (const [text, completions, formatted] of cases) {
    it(`parses ${JSON.stringify(text)} below ${completions} as ${JSON.stringify(formatted)}`, () => {
      assert.equal(formatIntervals(parseIntervals(text, completions)), formatted);
    });
  }

  it('adds indexes, merging adjacent ones', () => {
    assert.equal(formatIntervals(withIndexes(parseIntervals('0,4', 9), [1, 2, 3, 6])), '0-4,6');
  });

  it('picks the lowest indexes neither succeeded nor active', () => {
    const succeeded = parseIntervals('0,2', 6);
    assert.deepEqual(firstPendingIndexes(succeeded, [podAt(1), podAt(4)], undefined, 5, 6), [3, 5]);
    assert.deepEqual(firstPendingIndexes(succeeded, [], undefined, 2, 6), [1, 3]);
    assert.deepEqual(firstPendingIndexes(succeeded, [], [podAt(1)], 2, 6), [3, 4]);
  });

  it('matches success policy rules', () => {
    const done = parseIntervals('0-2', 10);
    assert.equal(
      matchSuccessPolicy([{ succeededIndexes: '0,1' }], 10, done),
      'Matched rules at index 0',
    );
    assert.equal(
      matchSuccessPolicy([{ succeededIndexes: '5-9', succeededCount: 1 }], 10, done),
      undefined,
    );
    assert.equal(
      matchSuccessPolicy([{ succeededIndexes: '8' }, { succeededCount: 3 }], 10, done),
      'Matched rules at index 1',
    );
  });
});

describe('failure back-off', () => {
  const now = 1_000_000;
  const cases: [number, number][] = [
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [6, 320_000],
    [7, 360_000],
    [20, 360_000],
  ];
  for (const [failures, wait] of cases) {
    it(`waits ${wait / 1000} s after ${failures} failures`, () => {
      const record = { key: 'k', failuresAfterLastSuccess: failures, lastFailureTime: now };
      assert.equal(remainingBackoff(record, now), wait);
      assert.equal(remainingBackoff(record, now + wait + 1), 0);
    });
  }
});
