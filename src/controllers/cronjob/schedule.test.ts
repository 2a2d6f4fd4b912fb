import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchedule } from './schedule.ts';
import { formatRfc1123z, formatRfc3339, Zone, ZERO_TIME } from './zone.ts';

// robfig/cron's ParseStandard and Next, as Kubernetes runs them: the next three
// activations after a fixed instant, table-driven.

const FROM = '2025-03-29T12:34:56Z'; // a Saturday, the eve of Europe's DST change

function nextThree(spec: string, zone = 'UTC', from = FROM): string[] {
  const schedule = parseSchedule(spec, zone);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < 3; i++) {
    t = schedule.next(t);
    out.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  }
  return out;
}

describe('cron schedules', () => {
  const cases: [string, string, string[]][] = [
    ['* * * * *', 'UTC', ['2025-03-29T12:35:00Z', '2025-03-29T12:36:00Z', '2025-03-29T12:37:00Z']],
    [
      '*/20 * * * *',
      'UTC',
      ['2025-03-29T12:40:00Z', '2025-03-29T13:00:00Z', '2025-03-29T13:20:00Z'],
    ],
    [
      '5/20 * * * *',
      'UTC',
      ['2025-03-29T12:45:00Z', '2025-03-29T13:05:00Z', '2025-03-29T13:25:00Z'],
    ],
    [
      '0,30 8-9 * * *',
      'UTC',
      ['2025-03-30T08:00:00Z', '2025-03-30T08:30:00Z', '2025-03-30T09:00:00Z'],
    ],
    [
      '0 9-17/4 * * *',
      'UTC',
      ['2025-03-29T13:00:00Z', '2025-03-29T17:00:00Z', '2025-03-30T09:00:00Z'],
    ],
    [
      '0 9 * * MON-fri',
      'UTC',
      ['2025-03-31T09:00:00Z', '2025-04-01T09:00:00Z', '2025-04-02T09:00:00Z'],
    ],
    [
      '0 0 1 jan,JUL *',
      'UTC',
      ['2025-07-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'],
    ],
    // Both day fields restricted: either matches (the 13th, or a Friday).
    ['0 0 13 * 5', 'UTC', ['2025-04-04T00:00:00Z', '2025-04-11T00:00:00Z', '2025-04-13T00:00:00Z']],
    // A `*` day of week: the day of month alone decides.
    ['0 0 13 * *', 'UTC', ['2025-04-13T00:00:00Z', '2025-05-13T00:00:00Z', '2025-06-13T00:00:00Z']],
    ['0 0 * * 5', 'UTC', ['2025-04-04T00:00:00Z', '2025-04-11T00:00:00Z', '2025-04-18T00:00:00Z']],
    // A step > 1 is a restriction even from `*`: odd days or Sundays.
    [
      '0 0 */2 * 0',
      'UTC',
      ['2025-03-30T00:00:00Z', '2025-03-31T00:00:00Z', '2025-04-01T00:00:00Z'],
    ],
    ['0 0 ? * 1', 'UTC', ['2025-03-31T00:00:00Z', '2025-04-07T00:00:00Z', '2025-04-14T00:00:00Z']],
    ['@hourly', 'UTC', ['2025-03-29T13:00:00Z', '2025-03-29T14:00:00Z', '2025-03-29T15:00:00Z']],
    ['@daily', 'UTC', ['2025-03-30T00:00:00Z', '2025-03-31T00:00:00Z', '2025-04-01T00:00:00Z']],
    ['@weekly', 'UTC', ['2025-03-30T00:00:00Z', '2025-04-06T00:00:00Z', '2025-04-13T00:00:00Z']],
    ['@monthly', 'UTC', ['2025-04-01T00:00:00Z', '2025-05-01T00:00:00Z', '2025-06-01T00:00:00Z']],
    ['@yearly', 'UTC', ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z']],
    [
      '@every 1h30m',
      'UTC',
      ['2025-03-29T14:04:56Z', '2025-03-29T15:34:56Z', '2025-03-29T17:04:56Z'],
    ],
    // 09:00 in Berlin is 08:00Z until the clocks go forward, then 07:00Z.
    [
      '0 9 * * *',
      'Europe/Berlin',
      ['2025-03-30T07:00:00Z', '2025-03-31T07:00:00Z', '2025-04-01T07:00:00Z'],
    ],
    [
      'TZ=Asia/Tokyo 0 9 * * *',
      'UTC',
      ['2025-03-30T00:00:00Z', '2025-03-31T00:00:00Z', '2025-04-01T00:00:00Z'],
    ],
    [
      'CRON_TZ=America/New_York 30 6 * * *',
      'UTC',
      ['2025-03-30T10:30:00Z', '2025-03-31T10:30:00Z', '2025-04-01T10:30:00Z'],
    ],
    // 02:30 does not exist in Berlin on 2025-03-30: that day is skipped, as robfig does.
    [
      '30 2 * * *',
      'Europe/Berlin',
      ['2025-03-31T00:30:00Z', '2025-04-01T00:30:00Z', '2025-04-02T00:30:00Z'],
    ],
  ];
  for (const [spec, zone, expected] of cases) {
    it(`${spec} (${zone})`, () => assert.deepEqual(nextThree(spec, zone), expected));
  }

  it('answers the zero time for a date that never comes', () => {
    assert.equal(parseSchedule('0 0 31 2 *').next(Date.parse(FROM)), ZERO_TIME);
  });

  it("rejects what robfig rejects, with robfig's words", () => {
    assert.throws(
      () => parseSchedule('* * * *'),
      /expected exactly 5 fields, found 4: \[\* \* \* \*\]/,
    );
    assert.throws(
      () => parseSchedule('60 * * * *'),
      /end of range \(60\) above maximum \(59\): 60/,
    );
    assert.throws(() => parseSchedule('* * * * 7'), /above maximum \(6\)/);
    assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor: @fortnightly/);
    assert.throws(
      () => parseSchedule('TZ=Mars/Olympus * * * * *'),
      /unknown time zone Mars\/Olympus/,
    );
  });
});

describe('time formats', () => {
  const at = Date.parse('2025-01-01T12:00:00Z');
  it('writes RFC 3339 in a zone, as Go does', () => {
    assert.equal(formatRfc3339(at, new Zone('UTC')), '2025-01-01T12:00:00Z');
    assert.equal(formatRfc3339(at, new Zone('Europe/Berlin')), '2025-01-01T13:00:00+01:00');
    assert.equal(formatRfc3339(at, new Zone('America/St_Johns')), '2025-01-01T08:30:00-03:30');
  });
  it('writes RFC 1123 with a numeric zone', () => {
    assert.equal(formatRfc1123z(at), 'Wed, 01 Jan 2025 12:00:00 +0000');
  });
});
