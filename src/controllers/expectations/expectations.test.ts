import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/index.ts';
import { Expectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.ts';

describe('Expectations', () => {
  it('is satisfied for a key it never heard of', () => {
    assert.equal(new Expectations(new FakeClock(0)).satisfied('ns/a'), true);
  });

  it('waits for every expected creation', () => {
    const e = new Expectations(new FakeClock(0));
    e.expectCreations('ns/a', 2);
    assert.equal(e.satisfied('ns/a'), false);
    e.creationObserved('ns/a');
    assert.equal(e.satisfied('ns/a'), false);
    e.creationObserved('ns/a');
    assert.equal(e.satisfied('ns/a'), true);
    assert.equal(e.satisfied('ns/b'), true, 'keys are apart');
  });

  it('counts each expected deletion once, and only expected ones', () => {
    const e = new Expectations(new FakeClock(0));
    e.expectDeletions('ns/a', ['ns/p1', 'ns/p2']);
    e.deletionObserved('ns/a', 'ns/p1');
    e.deletionObserved('ns/a', 'ns/p1'); // a deletionTimestamp, then the delete itself
    e.deletionObserved('ns/a', 'ns/other');
    assert.equal(e.satisfied('ns/a'), false);
    e.deletionObserved('ns/a', 'ns/p2');
    assert.equal(e.satisfied('ns/a'), true);
  });

  it('expires five minutes after they were set', () => {
    const clock = new FakeClock(1_000);
    const e = new Expectations(clock);
    e.expectCreations('ns/a', 1);
    assert.equal(e.expiresIn('ns/a'), EXPECTATIONS_TIMEOUT_MS);
    clock.advance(EXPECTATIONS_TIMEOUT_MS);
    assert.equal(e.satisfied('ns/a'), false, 'not before the full timeout has passed');
    clock.advance(1);
    assert.equal(e.satisfied('ns/a'), true);
    assert.equal(e.expiresIn('ns/a'), undefined);
  });

  it('forgets a deleted owner', () => {
    const e = new Expectations(new FakeClock(0));
    e.expectDeletions('ns/a', ['ns/p1']);
    e.delete('ns/a');
    assert.equal(e.satisfied('ns/a'), true);
    e.expectCreations('ns/a', 0);
    e.deletionObserved('ns/a', 'ns/p1');
    assert.equal(e.satisfied('ns/a'), true);
  });
});
