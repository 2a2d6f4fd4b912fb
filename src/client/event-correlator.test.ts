import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import {
  AGGREGATE_WINDOW_MS,
  COMBINED_PREFIX,
  type Correlation,
  type CoreEvent,
  EventCorrelator,
} from './event-correlator.ts';
import { rfc3339 as timestamp } from '../api/index.ts';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

function newCorrelator(): { correlator: EventCorrelator; clock: FakeClock } {
  const clock = new FakeClock(START);
  let n = 0;
  const correlator = new EventCorrelator(clock, (obj) => `${obj}.${String(++n).padStart(4, '0')}`);
  return { correlator, clock };
}

let freshNames = 0;

/** A fresh event as the recorder builds it, about pod `web` unless told otherwise. */
function fresh(
  clock: FakeClock,
  over: { message?: string; reason?: string; type?: string; pod?: string; fieldPath?: string } = {},
): CoreEvent {
  const pod = over.pod ?? 'web';
  const now = timestamp(clock.now());
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod}.fresh${++freshNames}`, namespace: 'default' },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'default',
      name: pod,
      uid: `uid-${pod}`,
      ...(over.fieldPath ? { fieldPath: over.fieldPath } : {}),
    },
    reason: over.reason ?? 'FailedScheduling',
    message: over.message ?? '0/3 nodes are available',
    type: over.type ?? 'Warning',
    source: { component: 'wharf-scheduler', host: 'box' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: 'wharf-scheduler',
    reportingInstance: 'box',
  };
}

function written(c: Correlation): CoreEvent {
  assert.equal(c.skip, false, 'the event was dropped');
  return (c as { event: CoreEvent }).event;
}

describe('EventCorrelator: identical events', () => {
  it('become one Event whose count grows and whose lastTimestamp moves', () => {
    const { correlator, clock } = newCorrelator();
    const first = written(correlator.correlate(fresh(clock)));
    assert.equal(first.count, 1);
    clock.advance(MINUTE);
    const second = written(correlator.correlate(fresh(clock)));
    clock.advance(MINUTE);
    const third = written(correlator.correlate(fresh(clock)));
    assert.deepEqual(
      [second, third].map((e) => [e.metadata.name, e.count, e.firstTimestamp, e.lastTimestamp]),
      [
        [first.metadata.name, 2, timestamp(START), timestamp(START + MINUTE)],
        [first.metadata.name, 3, timestamp(START), timestamp(START + 2 * MINUTE)],
      ],
    );
  });

  it('differ by anything in the key: object, container, type, reason or message', () => {
    const { correlator, clock } = newCorrelator();
    written(correlator.correlate(fresh(clock)));
    for (const over of [
      { pod: 'api' },
      { fieldPath: 'spec.containers{web}' },
      { type: 'Normal' },
      { reason: 'Preempted' },
      { message: 'another message' },
    ]) {
      assert.equal(
        written(correlator.correlate(fresh(clock, over))).count,
        1,
        JSON.stringify(over),
      );
    }
  });
});

describe('EventCorrelator: similar events (same reason, other messages)', () => {
  it('stay apart up to 9, and from the 10th within the window are combined into one Event', () => {
    const { correlator, clock } = newCorrelator();
    const names = new Set<string>();
    for (let i = 1; i <= 9; i++) {
      const e = written(correlator.correlate(fresh(clock, { message: `try ${i}` })));
      assert.equal(e.message, `try ${i}`);
      names.add(e.metadata.name);
      // The window is measured from the latest similar event, not the first.
      clock.advance(9 * MINUTE);
    }
    assert.equal(names.size, 9);
    const combined = [10, 11, 12].map((i) =>
      written(correlator.correlate(fresh(clock, { message: `try ${i}` }))),
    );
    assert.deepEqual(
      combined.map((e) => [e.metadata.name, e.count, e.message]),
      [
        ['web.0001', 1, `${COMBINED_PREFIX}try 10`],
        ['web.0001', 2, `${COMBINED_PREFIX}try 11`],
        ['web.0001', 3, `${COMBINED_PREFIX}try 12`],
      ],
    );
    assert.deepEqual(combined[2]!.involvedObject, combined[0]!.involvedObject);
    assert.equal(combined[2]!.reason, 'FailedScheduling');
    assert.equal(combined[2]!.reportingComponent, 'wharf-scheduler');
    assert.equal(combined[2]!.firstTimestamp, combined[0]!.firstTimestamp);
  });

  it('start over after ten quiet minutes', () => {
    const { correlator, clock } = newCorrelator();
    for (let i = 1; i <= 9; i++) correlator.correlate(fresh(clock, { message: `try ${i}` }));
    clock.advance(AGGREGATE_WINDOW_MS + 1000);
    const e = written(correlator.correlate(fresh(clock, { message: 'try 10' })));
    assert.equal(e.message, 'try 10');
    assert.equal(e.count, 1);
  });

  it('leave a message still remembered in the group to its own Event, as client-go does', () => {
    const { correlator, clock } = newCorrelator();
    for (let i = 1; i <= 10; i++) correlator.correlate(fresh(clock, { message: `try ${i}` }));
    // The group keeps the 9 latest messages; "try 5" is one of them, "try 1" is not.
    const again = written(correlator.correlate(fresh(clock, { message: 'try 5' })));
    assert.deepEqual([again.message, again.count], ['try 5', 2]);
    const old = written(correlator.correlate(fresh(clock, { message: 'try 1' })));
    assert.deepEqual([old.message, old.count], [`${COMBINED_PREFIX}try 1`, 2]);
  });
});

describe('EventCorrelator: spam filter', () => {
  it('lets 25 events about an object through, then one every five minutes', () => {
    const { correlator, clock } = newCorrelator();
    const outcomes = Array.from({ length: 30 }, () => correlator.correlate(fresh(clock)));
    assert.equal(outcomes.filter((o) => !o.skip).length, 25);
    assert.ok(outcomes.slice(25).every((o) => o.skip));
    // Another object has a bucket of its own.
    assert.equal(written(correlator.correlate(fresh(clock, { pod: 'api' }))).count, 1);
    clock.advance(4 * MINUTE);
    assert.ok(correlator.correlate(fresh(clock)).skip);
    clock.advance(MINUTE);
    // The count includes the occurrences that were dropped.
    assert.equal(written(correlator.correlate(fresh(clock))).count, 32);
    assert.ok(correlator.correlate(fresh(clock)).skip);
  });

  it('counts every event about the object, whatever its reason or message', () => {
    const { correlator, clock } = newCorrelator();
    for (let i = 0; i < 25; i++) {
      written(correlator.correlate(fresh(clock, { reason: `Reason${i}`, message: `m${i}` })));
    }
    assert.ok(correlator.correlate(fresh(clock, { reason: 'Other' })).skip);
  });
});

it('EventCorrelator forgets the least recently used of 4096 events', () => {
  const { correlator, clock } = newCorrelator();
  written(correlator.correlate(fresh(clock, { pod: 'p0' })));
  for (let i = 1; i <= 4096; i++) correlator.correlate(fresh(clock, { pod: `p${i}` }));
  assert.equal(written(correlator.correlate(fresh(clock, { pod: 'p0' }))).count, 1);
  assert.equal(written(correlator.correlate(fresh(clock, { pod: 'p4096' }))).count, 2);
});
