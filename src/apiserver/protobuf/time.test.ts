import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatTime, parseDuration, parseTime } from './time.ts';

test('formatDuration matches Go time.Duration.String and parseDuration inverts it', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [1, '1ns'],
    [1500, '1.5µs'],
    [1_500_000, '1.5ms'],
    [1e9, '1s'],
    [1.25e9, '1.25s'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [3723.5e9, '1h2m3.5s'],
    [-2e9, '-2s'],
    [100 * 3600e9, '100h0m0s'],
  ];
  for (const [ns, text] of cases) {
    assert.equal(formatDuration(ns), text);
    assert.equal(parseDuration(text), ns);
  }
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('.5s'), 5e8);
  for (const bad of ['', '1', 'h', '1x', '1h 2m', '--1s'])
    assert.equal(parseDuration(bad), undefined, bad);
});

test('formatTime gives RFC 3339 in UTC, with microseconds for MicroTime', () => {
  assert.equal(formatTime(1704164645, 0, false), '2024-01-02T03:04:05Z');
  assert.equal(formatTime(1704164645, 123456789, false), '2024-01-02T03:04:05Z');
  assert.equal(formatTime(1704164645, 123456789, true), '2024-01-02T03:04:05.123456Z');
  assert.equal(formatTime(0, 0, true), '1970-01-01T00:00:00.000000Z');
  assert.equal(formatTime(-62135596800, 0, false), '0001-01-01T00:00:00Z');
  assert.equal(formatTime(1e15, 0, false), undefined);
});

test('parseTime reads RFC 3339 with fractions and offsets', () => {
  assert.deepEqual(parseTime('2024-01-02T03:04:05Z'), { seconds: 1704164645, nanos: 0 });
  assert.deepEqual(parseTime('2024-01-02T03:04:05.5Z'), {
    seconds: 1704164645,
    nanos: 500_000_000,
  });
  assert.deepEqual(parseTime('2024-01-02T05:04:05+02:00'), { seconds: 1704164645, nanos: 0 });
  assert.deepEqual(parseTime('0001-01-01T00:00:00Z'), { seconds: -62135596800, nanos: 0 });
  assert.equal(parseTime('2024-01-02 03:04:05'), undefined);
});
