import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, WorkQueue, type Logger } from '../client/index.ts';
import { runWorkers, type RetryPolicy } from './workers.ts';

// runWorkers against a fake clock: a reconcile that fails as told, the log it writes, and
// the queue's back-off (5 ms doubling, client-go's default) driving the retries.

interface Harness {
  clock: FakeClock;
  queue: WorkQueue<string>;
  calls: string[];
  logged: { level: string; message: string }[];
  /** Lets pending promise callbacks (the workers) run. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

function start(failTimes: number, policy?: RetryPolicy): Harness {
  const clock = new FakeClock(1_000_000);
  const queue = new WorkQueue<string>({ clock });
  const calls: string[] = [];
  const logged: Harness['logged'] = [];
  const log: Logger = {
    info: (_f, message) => logged.push({ level: 'info', message }),
    warn: (_f, message) => logged.push({ level: 'warn', message }),
    error: (_f, message) => logged.push({ level: 'error', message }),
  };
  const reconcile = async (key: string) => {
    calls.push(key);
    if (calls.length <= failTimes) throw new Error(`failure ${calls.length}`);
  };
  const running = runWorkers(queue, 1, reconcile, log, 'test', policy);
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const stop = async () => {
    queue.shutDown();
    await running;
  };
  return { clock, queue, calls, logged, settle, stop };
}

describe('runWorkers', () => {
  it('re-queues a failing key with per-item exponential back-off', async () => {
    const h = start(3);
    h.queue.add('ns/a');
    await h.settle();
    assert.equal(h.calls.length, 1);
    // The first retry waits 5 ms, the second 10 ms, the third 20 ms.
    for (const [wait, callsAfter] of [
      [4, 1],
      [1, 2],
      [9, 2],
      [1, 3],
      [19, 3],
      [1, 4],
    ] as const) {
      h.clock.advance(wait);
      await h.settle();
      assert.equal(h.calls.length, callsAfter, `after ${wait} ms more`);
    }
    // The fourth attempt succeeded: its back-off is forgotten.
    assert.equal(h.queue.numRequeues('ns/a'), 0);
    assert.deepEqual(
      h.logged.map((l) => l.level),
      ['warn', 'warn', 'warn'],
    );
    await h.stop();
  });

  it('without maxRetries keeps retrying', async () => {
    const h = start(Infinity);
    h.queue.add('ns/a');
    for (let i = 0; i < 30; i++) {
      await h.settle();
      h.clock.advance(1_000_000);
    }
    await h.settle();
    assert.equal(h.calls.length, 31);
    assert.equal(h.queue.numRequeues('ns/a'), 31);
    assert.ok(h.logged.every((l) => l.level === 'warn'));
    await h.stop();
  });

  it('drops a key after maxRetries re-queues, forgetting its back-off', async () => {
    const h = start(Infinity, { maxRetries: 3 });
    h.queue.add('ns/a');
    for (let i = 0; i < 10; i++) {
      await h.settle();
      h.clock.advance(1_000_000);
    }
    await h.settle();
    // The first attempt and three retries; the fourth failure drops the key.
    assert.equal(h.calls.length, 4);
    assert.equal(h.queue.numRequeues('ns/a'), 0);
    assert.equal(h.clock.pendingTimers, 0);
    assert.deepEqual(
      h.logged.map((l) => l.level),
      ['warn', 'warn', 'warn', 'error'],
    );
    assert.match(h.logged[3]!.message, /dropping/);

    // A new event brings the key back, with a fresh retry budget.
    h.queue.add('ns/a');
    await h.settle();
    assert.equal(h.calls.length, 5);
    assert.equal(h.queue.numRequeues('ns/a'), 1);
    await h.stop();
  });

  it('a key that succeeds before maxRetries is not dropped', async () => {
    const h = start(2, { maxRetries: 3 });
    h.queue.add('ns/a');
    for (let i = 0; i < 5; i++) {
      await h.settle();
      h.clock.advance(1_000_000);
    }
    assert.equal(h.calls.length, 3);
    assert.ok(h.logged.every((l) => l.level === 'warn'));
    assert.equal(h.queue.numRequeues('ns/a'), 0);
    await h.stop();
  });
});
