import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rfc3339 } from './time.ts';

describe('rfc3339', () => {
  it('drops the fraction of a second, from a Date or from milliseconds', () => {
    assert.equal(rfc3339(Date.UTC(2026, 10, 22, 17, 22, 30, 999)), '2026-11-22T17:22:30Z');
    assert.equal(rfc3339(new Date(Date.UTC(2026, 10, 22, 17, 22, 31, 1))), '2026-11-22T17:22:31Z');
  });

  it('answers each second anew, forwards and backwards', () => {
    const base = Date.UTC(2026, 0, 1, 0, 0, 0);
    assert.equal(rfc3339(base + 1500), '2026-01-01T00:00:01Z');
    assert.equal(rfc3339(base + 1999), '2026-01-01T00:00:01Z');
    assert.equal(rfc3339(base - 1), '2025-12-31T23:59:59Z');
    assert.equal(rfc3339(base), '2026-01-01T00:00:00Z');
  });
});
