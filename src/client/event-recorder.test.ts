import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rfc3339 as timestamp, type KubeObject } from '../api/index.ts';
import { ApiError } from './api-error.ts';
import { FakeClock } from './clock.ts';
import { COMBINED_PREFIX } from './event-correlator.ts';
import { type EventClient, EventRecorder } from './event-recorder.ts';
import type { Logger } from './logger.ts';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);

const POD: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-web', resourceVersion: '7' },
};

type Action =
  | { verb: 'create'; name: string; event: KubeObject }
  | { verb: 'patch'; name: string; patch: Record<string, unknown> };

/**
 * An Event API in memory that records the calls made to it. `fail` answers the next calls
 * with errors instead; `hold` keeps the next calls unanswered until `release`.
 */
class FakeEvents {
  readonly actions: Action[] = [];
  readonly stored = new Map<string, KubeObject>();
  readonly fail: Error[] = [];
  #held: (() => void)[] | undefined;

  hold(): void {
    this.#held = [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const go of held) go();
  }

  get heldCalls(): number {
    return this.#held?.length ?? 0;
  }

  readonly client: EventClient = {
    create: async <T extends KubeObject>(_ref: unknown, _ns: string, obj: T) => {
      const name = obj.metadata!.name!;
      this.actions.push({ verb: 'create', name, event: structuredClone(obj) });
      await this.#answer();
      if (this.stored.has(name)) throw apiError(409, 'AlreadyExists');
      this.stored.set(name, structuredClone(obj));
      return obj;
    },
    patch: async <T extends KubeObject>(
      _ref: unknown,
      _ns: string,
      name: string,
      patch: unknown,
    ) => {
      this.actions.push({ verb: 'patch', name, patch: patch as Record<string, unknown> });
      await this.#answer();
      const current = this.stored.get(name);
      if (!current) throw apiError(404, 'NotFound');
      Object.assign(current, patch);
      return current as T;
    },
  };

  async #answer(): Promise<void> {
    if (this.#held) await new Promise<void>((resolve) => this.#held!.push(resolve));
    const err = this.fail.shift();
    if (err) throw err;
  }
}

function apiError(code: number, reason: string): ApiError {
  return new ApiError({ kind: 'Status', status: 'Failure', code, reason, message: reason });
}

function networkError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

class ListLogger implements Logger {
  readonly lines: string[] = [];
  info(_f: object, message: string): void {
    this.lines.push(`info ${message}`);
  }
  warn(_f: object, message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(_f: object, message: string): void {
    this.lines.push(`error ${message}`);
  }
}

function setUp() {
  const api = new FakeEvents();
  const clock = new FakeClock(START);
  const log = new ListLogger();
  const recorder = new EventRecorder(api.client, 'wharf-scheduler', 'box', log, {
    clock,
    random: () => 0.5,
  });
  return { api, clock, log, recorder };
}

/** Lets the recorder's pending promise callbacks run (no time passes on the fake clock). */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('EventRecorder writes', () => {
  it('names Events as client-go does, <object>.<Unix nanoseconds in hex>, never twice', async () => {
    const { api, recorder } = setUp();
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    recorder.event(POD, 'Normal', 'Created', 'two');
    await recorder.flush();
    const names = api.actions.map((a) => (a as { event: KubeObject }).event.metadata!.name!);
    assert.equal(names.length, 2);
    const nanos = names.map((n) => BigInt(`0x${n.slice('web.'.length)}`));
    for (const n of nanos) {
      // Within the clock's millisecond: the time, to the nanosecond the clock can tell.
      assert.equal(n / 1_000_000n, BigInt(START));
    }
    assert.ok(nanos[1]! > nanos[0]!, `${names[1]} comes after ${names[0]}`);
  });

  it('a new Event as client-go does: source, reporting component and instance, count 1', async () => {
    const { api, recorder } = setUp();
    recorder.event(POD, 'Warning', 'BackOff', 'Back-off restarting', 'spec.containers{app}');
    await recorder.flush();
    assert.equal(api.actions.length, 1);
    const created = (api.actions[0] as { event: KubeObject }).event;
    assert.match(created.metadata!.name!, /^web\.[0-9a-f]{16}$/);
    assert.deepEqual(
      { ...created, metadata: { namespace: created.metadata!.namespace } },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { namespace: 'shop' },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: 'shop',
          name: 'web',
          uid: 'uid-web',
          resourceVersion: '7',
          fieldPath: 'spec.containers{app}',
        },
        reason: 'BackOff',
        message: 'Back-off restarting',
        type: 'Warning',
        source: { component: 'wharf-scheduler', host: 'box' },
        firstTimestamp: timestamp(START),
        lastTimestamp: timestamp(START),
        count: 1,
        reportingComponent: 'wharf-scheduler',
        reportingInstance: 'box',
      },
    );
  });

  it('a repeat as a patch of count, lastTimestamp and message', async () => {
    const { api, clock, recorder } = setUp();
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await recorder.flush();
    clock.advance(30_000);
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await recorder.flush();
    const name = api.actions[0]!.name;
    assert.deepEqual(api.actions[1], {
      verb: 'patch',
      name,
      patch: { count: 2, lastTimestamp: timestamp(START + 30_000), message: 'pulled busybox' },
    });
    assert.equal(api.stored.get(name)!.firstTimestamp, timestamp(START));
  });

  it('a repeat of a deleted Event as a create under its name with the raised count', async () => {
    const { api, recorder } = setUp();
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await recorder.flush();
    const name = api.actions[0]!.name;
    api.stored.delete(name);
    api.actions.length = 0;
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await recorder.flush();
    assert.deepEqual(
      api.actions.map((a) => [a.verb, a.name]),
      [
        ['patch', name],
        ['create', name],
      ],
    );
    assert.equal(api.stored.get(name)!.count, 3);
  });

  it('the combined Event of similar ones, under one name', async () => {
    const { api, recorder } = setUp();
    for (let i = 1; i <= 12; i++) recorder.event(POD, 'Warning', 'Failed', `attempt ${i}`);
    await recorder.flush();
    assert.equal(api.stored.size, 10);
    const combined = [...api.stored.values()].find((e) => e.count === 3)!;
    assert.equal(combined.message, `${COMBINED_PREFIX}attempt 12`);
  });

  it('one write at a time per Event, the latest count winning over queued ones', async () => {
    const { api, recorder } = setUp();
    api.hold();
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await drain();
    for (let i = 0; i < 4; i++) recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await drain();
    assert.equal(api.heldCalls, 1, 'the patch waits for the create of the same Event');
    api.release();
    await recorder.flush();
    assert.deepEqual(
      api.actions.map((a) => (a.verb === 'patch' ? a.patch.count : a.verb)),
      ['create', 5],
    );
  });
});

describe('EventRecorder pacing', () => {
  it('writes a burst at once, then at qps, in order, none dropped', async () => {
    const api = new FakeEvents();
    const clock = new FakeClock(START);
    const opts = { clock, random: () => 0.5, qps: 2, burst: 3 };
    const recorder = new EventRecorder(api.client, 'kubelet', 'box', new ListLogger(), opts);
    for (let i = 0; i < 6; i++) recorder.event(POD, 'Normal', `Reason${i}`, `message ${i}`);
    await drain();
    assert.equal(api.actions.length, 3, 'the burst');
    clock.advance(499);
    await drain();
    assert.equal(api.actions.length, 3);
    clock.advance(1);
    await drain();
    assert.equal(api.actions.length, 4, 'one more every 500 ms');
    clock.advance(1000);
    await recorder.flush();
    const reasons = api.actions.map((a) =>
      a.verb === 'create' ? (a.event as unknown as { reason: string }).reason : a.verb,
    );
    assert.deepEqual(reasons, ['Reason0', 'Reason1', 'Reason2', 'Reason3', 'Reason4', 'Reason5']);
  });

  it('refills while idle, up to the burst', async () => {
    const api = new FakeEvents();
    const clock = new FakeClock(START);
    const opts = { clock, qps: 10, burst: 2 };
    const recorder = new EventRecorder(api.client, 'kubelet', 'box', new ListLogger(), opts);
    recorder.event(POD, 'Normal', 'A', 'a');
    recorder.event(POD, 'Normal', 'B', 'b');
    await recorder.flush();
    clock.advance(60_000);
    for (const r of ['C', 'D', 'E']) recorder.event(POD, 'Normal', r, r);
    await drain();
    assert.equal(api.actions.length, 4, 'two at once after a long pause, not 600');
    clock.advance(100);
    await recorder.flush();
    assert.equal(api.actions.length, 5);
  });
});

describe('EventRecorder failures', () => {
  it('retries network failures, the first after a random part of 10 s, then every 10 s', async () => {
    const { api, clock, recorder } = setUp();
    api.fail.push(networkError(), networkError());
    recorder.event(POD, 'Normal', 'Scheduled', 'assigned shop/web to node-1');
    await drain();
    assert.equal(api.actions.length, 1);
    clock.advance(4_999);
    await drain();
    assert.equal(api.actions.length, 1);
    clock.advance(1);
    await drain();
    assert.equal(api.actions.length, 2);
    clock.advance(10_000);
    await recorder.flush();
    assert.equal(api.actions.length, 3);
    assert.equal(api.stored.size, 1);
  });

  it('gives up after 12 tries, and says so', async () => {
    const { api, clock, log, recorder } = setUp();
    api.fail.push(...Array.from({ length: 12 }, networkError));
    recorder.event(POD, 'Normal', 'Scheduled', 'assigned shop/web to node-1');
    for (let i = 0; i < 12; i++) {
      await drain();
      clock.advance(10_000);
    }
    await recorder.flush();
    assert.equal(api.actions.length, 12);
    assert.deepEqual(log.lines, ['warn could not record an event (giving up)']);
  });

  it('sends what was queued for the Event while it waited to retry', async () => {
    const { api, clock, recorder } = setUp();
    api.fail.push(networkError());
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    await drain();
    recorder.event(POD, 'Normal', 'Pulled', 'pulled busybox');
    clock.advance(10_000);
    await recorder.flush();
    assert.deepEqual(
      api.actions.map((a) => a.verb),
      ['create', 'patch', 'create'],
    );
    assert.equal([...api.stored.values()][0]!.count, 2);
  });

  it('does not retry answers of the server; AlreadyExists is only a debug line', async () => {
    const { api, log, recorder } = setUp();
    api.fail.push(apiError(409, 'AlreadyExists'), apiError(403, 'Forbidden'));
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    await recorder.flush();
    recorder.event(POD, 'Normal', 'Pulled', 'two');
    await recorder.flush();
    assert.equal(api.actions.length, 2);
    assert.deepEqual(log.lines, [
      'info the server rejected an event',
      'warn could not record an event',
    ]);
  });

  it('treats a write cut by its closed client as cancellation: no retry, no log', async () => {
    const { api, log, recorder } = setUp();
    api.fail.push(Object.assign(new Error('the client was closed'), { name: 'AbortError' }));
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    await recorder.flush();
    assert.equal(api.actions.length, 1);
    assert.deepEqual(log.lines, []);
  });

  it('drops events beyond 1000 queued Events, and counts them', async () => {
    const { api, recorder } = setUp();
    api.hold();
    for (let i = 0; i < 1005; i++) {
      const pod = { ...POD, metadata: { ...POD.metadata, name: `p${i}`, uid: `u${i}` } };
      recorder.event(pod, 'Normal', 'Scheduled', 'assigned');
    }
    assert.equal(recorder.dropped, 1, '4 in flight, 1000 queued');
    api.release();
    await recorder.flush();
    assert.equal(api.stored.size, 1004);
  });

  it('drops before correlating: a dropped event is not counted as seen', async () => {
    const { api, recorder } = setUp();
    const podNamed = (i: number) => ({
      ...POD,
      metadata: { ...POD.metadata, name: `p${i}`, uid: `u${i}` },
    });
    api.hold();
    for (let i = 0; i < 1004; i++) recorder.event(podNamed(i), 'Normal', 'Scheduled', 'assigned');
    recorder.event(podNamed(9999), 'Normal', 'Started', 'once');
    assert.equal(recorder.dropped, 1, '4 in flight, 1000 queued');
    api.release();
    await recorder.flush();
    recorder.event(podNamed(9999), 'Normal', 'Started', 'once');
    await recorder.flush();
    const written = [...api.stored.values()].filter(
      (e) => (e.involvedObject as { name?: string }).name === 'p9999',
    );
    assert.deepEqual(
      written.map((e) => e.count),
      [1],
      'written as a first occurrence',
    );
  });

  it('close() drops what is queued, abandons retries and ignores later events', async () => {
    const { api, recorder } = setUp();
    api.fail.push(networkError());
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    await drain();
    recorder.close();
    recorder.event(POD, 'Normal', 'Pulled', 'two');
    await recorder.flush();
    assert.equal(api.actions.length, 1);
  });

  it('shutdown() writes what is queued, then closes', async () => {
    const { api, clock, recorder } = setUp();
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    await recorder.shutdown();
    assert.equal(api.stored.size, 1);
    assert.equal(clock.pendingTimers, 0, 'its deadline timer is cleared');
    recorder.event(POD, 'Normal', 'Pulled', 'two');
    await drain();
    assert.equal(api.actions.length, 1, 'events after shutdown are ignored');
  });

  it('shutdown() gives up on writes that outlast its deadline', async () => {
    const { api, clock, recorder } = setUp();
    api.hold();
    recorder.event(POD, 'Normal', 'Pulled', 'one');
    let done = false;
    const stopping = recorder.shutdown(2000).then(() => (done = true));
    await drain();
    clock.advance(1999);
    await drain();
    assert.equal(done, false, 'still waiting before the deadline');
    clock.advance(1);
    await stopping;
    assert.equal(api.heldCalls, 1);
    recorder.event(POD, 'Normal', 'Pulled', 'two');
    api.release();
    await recorder.flush();
    assert.equal(api.actions.length, 1);
  });
});
