import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './clock.ts';
import { BucketRateLimiter, ItemExponentialRateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './workqueue.ts';

// Each case is a script of queue operations and expectations run against a fake clock.
// `get` expects the next item to be available at once; `getBlocks` leaves a getter
// waiting, and `woken` checks what the oldest waiting getter received.

type Step =
  | ['add' | 'done' | 'addRateLimited' | 'forget', string]
  | ['addAfter', string, number]
  | ['get', string | undefined]
  | ['getBlocks']
  | ['woken', string | undefined]
  | ['stillBlocked']
  | ['advance', number]
  | ['len', number]
  | ['requeues', string, number]
  | ['shutDown']
  | ['pendingTimers', number];

const cases: { name: string; steps: Step[] }[] = [
  {
    name: 'duplicate adds collapse into one item',
    steps: [
      ['add', 'a'],
      ['add', 'a'],
      ['add', 'b'],
      ['add', 'a'],
      ['len', 2],
      ['get', 'a'],
      ['get', 'b'],
      ['len', 0],
      ['getBlocks'],
      ['stillBlocked'],
    ],
  },
  {
    name: 'a key being processed is not handed out again until done',
    steps: [
      ['add', 'a'],
      ['get', 'a'],
      ['add', 'a'],
      ['len', 0],
      ['getBlocks'],
      ['stillBlocked'],
      ['done', 'a'],
      ['woken', 'a'],
    ],
  },
  {
    name: 'adds during processing re-queue the key once after done',
    steps: [
      ['add', 'a'],
      ['get', 'a'],
      ['add', 'a'],
      ['add', 'a'],
      ['len', 0],
      ['done', 'a'],
      ['len', 1],
      ['get', 'a'],
      ['done', 'a'],
      ['len', 0],
    ],
  },
  {
    name: 'done without a new add does not re-queue',
    steps: [
      ['add', 'a'],
      ['get', 'a'],
      ['done', 'a'],
      ['len', 0],
      ['getBlocks'],
      ['add', 'b'],
      ['woken', 'b'],
    ],
  },
  {
    name: 'waiting getters are served in order',
    steps: [
      ['getBlocks'],
      ['getBlocks'],
      ['add', 'a'],
      ['add', 'b'],
      ['woken', 'a'],
      ['woken', 'b'],
      ['len', 0],
    ],
  },
  {
    name: 'rate-limited back-off doubles per failure and forget resets it',
    steps: [
      ['addRateLimited', 'a'],
      ['advance', 4],
      ['len', 0],
      ['advance', 1],
      ['len', 1],
      ['get', 'a'],
      ['done', 'a'],
      ['addRateLimited', 'a'],
      ['advance', 9],
      ['len', 0],
      ['advance', 1],
      ['get', 'a'],
      ['done', 'a'],
      ['addRateLimited', 'a'],
      ['advance', 19],
      ['len', 0],
      ['advance', 1],
      ['get', 'a'],
      ['done', 'a'],
      ['requeues', 'a', 3],
      ['forget', 'a'],
      ['requeues', 'a', 0],
      ['addRateLimited', 'a'],
      ['advance', 5],
      ['get', 'a'],
      ['requeues', 'a', 1],
    ],
  },
  {
    name: 'back-off is per item',
    steps: [
      ['addRateLimited', 'a'],
      ['addRateLimited', 'a'],
      ['addRateLimited', 'b'],
      ['requeues', 'a', 2],
      ['requeues', 'b', 1],
      ['advance', 5],
      ['get', 'a'],
      ['get', 'b'],
      ['len', 0],
    ],
  },
  {
    name: 'addAfter adds when the delay has passed',
    steps: [
      ['addAfter', 'a', 100],
      ['advance', 99],
      ['len', 0],
      ['advance', 1],
      ['len', 1],
      ['get', 'a'],
    ],
  },
  {
    name: 'addAfter of a waiting item keeps the earlier time and adds once',
    steps: [
      ['addAfter', 'a', 100],
      ['addAfter', 'a', 50],
      ['addAfter', 'a', 80],
      ['advance', 50],
      ['len', 1],
      ['advance', 100],
      ['len', 1],
      ['pendingTimers', 0],
    ],
  },
  {
    name: 'addAfter with no delay adds at once, collapsing with a queued add',
    steps: [
      ['add', 'a'],
      ['addAfter', 'a', 0],
      ['len', 1],
    ],
  },
  {
    name: 'shutDown releases every waiting getter and stops the queue',
    steps: [
      ['addAfter', 'x', 10],
      ['getBlocks'],
      ['getBlocks'],
      ['shutDown'],
      ['woken', undefined],
      ['woken', undefined],
      ['get', undefined],
      ['add', 'a'],
      ['len', 0],
      ['pendingTimers', 0],
      ['advance', 100],
      ['get', undefined],
    ],
  },
  {
    name: 'get answers undefined after shutDown even with items left',
    steps: [
      ['add', 'a'],
      ['add', 'b'],
      ['get', 'a'],
      ['shutDown'],
      ['get', undefined],
      ['done', 'a'],
      ['get', undefined],
    ],
  },
];

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const PENDING = Symbol('pending');

describe('WorkQueue', () => {
  for (const { name, steps } of cases) {
    it(name, async () => {
      const clock = new FakeClock(1_000);
      const q = new WorkQueue<string>({ clock });
      const waiting: { value: string | undefined | typeof PENDING }[] = [];
      for (const [i, step] of steps.entries()) {
        const at = `step ${i} ${JSON.stringify(step)}`;
        switch (step[0]) {
          case 'add':
          case 'done':
          case 'addRateLimited':
          case 'forget':
            q[step[0]](step[1]);
            break;
          case 'addAfter':
            q.addAfter(step[1], step[2]);
            break;
          case 'get': {
            const box: { value: string | undefined | typeof PENDING } = { value: PENDING };
            void q.get().then((v) => (box.value = v));
            await flush();
            assert.equal(box.value, step[1], at);
            break;
          }
          case 'getBlocks': {
            const box: { value: string | undefined | typeof PENDING } = { value: PENDING };
            void q.get().then((v) => (box.value = v));
            waiting.push(box);
            break;
          }
          case 'stillBlocked':
            await flush();
            assert.equal(waiting[0]?.value, PENDING, at);
            break;
          case 'woken':
            await flush();
            assert.equal(waiting.shift()?.value, step[1], at);
            break;
          case 'advance':
            clock.advance(step[1]);
            break;
          case 'len':
            assert.equal(q.len(), step[1], at);
            break;
          case 'requeues':
            assert.equal(q.numRequeues(step[1]), step[2], at);
            break;
          case 'shutDown':
            q.shutDown();
            assert.equal(q.shuttingDown(), true, at);
            break;
          case 'pendingTimers':
            assert.equal(clock.pendingTimers, step[1], at);
            break;
        }
      }
    });
  }
});

describe('rate limiters', () => {
  it('item back-off: 5 ms doubling, capped at 1000 s', () => {
    const table: [failures: number, delayMs: number][] = [
      [1, 5],
      [2, 10],
      [3, 20],
      [10, 2_560],
      [18, 655_360],
      [19, 1_000_000],
      [40, 1_000_000],
    ];
    for (const [failures, delayMs] of table) {
      const limiter = new ItemExponentialRateLimiter<string>();
      let last = 0;
      for (let i = 0; i < failures; i++) last = limiter.when('k');
      assert.equal(last, delayMs, `after ${failures} failures`);
    }
  });

  it('overall bucket: a burst of 100, then 10 per second', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter<string>(clock);
    for (let i = 0; i < 100; i++) assert.equal(bucket.when(`k${i}`), 0);
    assert.equal(bucket.when('k100'), 100);
    assert.equal(bucket.when('k101'), 200);
    clock.advance(1_000);
    assert.equal(bucket.when('k102'), 0);
  });
});
