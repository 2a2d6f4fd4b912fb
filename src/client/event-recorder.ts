import { randomInt } from 'node:crypto';
import { rfc3339, type KubeObject } from '../api/index.ts';
import { ApiError, isAlreadyExists, isNamespaceTerminating, isNotFound } from './api-error.ts';
import { type Clock, realClock, sleep } from './clock.ts';
import { type CoreEvent, EventCorrelator } from './event-correlator.ts';
import type { Logger } from './logger.ts';
import type { ResourceRef, RestClient } from './rest-client.ts';

// core/v1 Events about objects, written as client-go's tools/record writes them — the
// recorder of kube-controller-manager and the kubelet. Every event goes through the
// EventCorrelator (aggregation of similar events, count of identical ones, spam filter),
// then a bounded queue that drops events rather than slowing the caller; writes happen
// in the background: a patch of count, lastTimestamp and message when the Event exists,
// a create otherwise or when the patch finds it gone; network failures are retried (12
// tries, 10 s apart), answers of the server are not.
//
// Why count and not `series`: core/v1 Event carries both. `series` (with eventTime,
// action, reportingController) belongs to the events.k8s.io/v1 writer, client-go's
// tools/events, which keys "isomorphic" events and refreshes their series in the
// background; tools/record never sets it. No part of wharf writes events.k8s.io Events,
// and what users read is the same either way: `kubectl describe` and `kubectl get events`
// print "<last> (x<count> over <first>)" from series when there is one, else from count,
// firstTimestamp and lastTimestamp. So this recorder leaves series and eventTime unset
// (with eventTime set the API server would also demand `action`), and fills the core/v1
// reportingComponent and reportingInstance with the source's component and host, as
// tools/record does.

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };
/** Distinct Events waiting to be written (client-go's maxQueuedEvents). */
const QUEUE_LIMIT = 1000;
const CONCURRENCY = 4;
const MAX_TRIES = 12;
const RETRY_SLEEP_MS = 10_000;
/** How long a stopping component waits for its last events by default. */
export const EVENT_FLUSH_MS = 2000;

/** The calls the recorder makes; a RestClient, or a fake in tests. */
export type EventClient = Pick<RestClient, 'create' | 'patch'>;

export interface EventRecorderOptions {
  clock?: Clock;
  /** In [0, 1): spreads the first retry so that recorders do not retry in step. */
  random?: () => number;
  /**
   * Writes per second once `burst` writes have gone at once, as client-go's client-side
   * rate limiter paces them (the kubelet's eventRecordQPS and eventBurst: 50 and 100).
   * Writes wait their turn; none is dropped. No limit when absent.
   */
  qps?: number;
  burst?: number;
}

/**
 * A token bucket that lends: each write takes a token, and when none is left it is told
 * how long until its token will have come (as golang.org/x/time/rate reserves), so that
 * concurrent writers queue in order without polling.
 */
class WriteBudget {
  readonly #qps: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #at: number;

  constructor(qps: number, burst: number, clock: Clock) {
    this.#qps = qps;
    this.#burst = Math.max(1, burst);
    this.#clock = clock;
    this.#tokens = this.#burst;
    this.#at = clock.now();
  }

  /** Takes a token; returns how many milliseconds the write must wait for it. */
  reserve(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) * this.#qps) / 1000);
    this.#at = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }
}

/**
 * client-go names an Event `<object>.<the time in Unix nanoseconds, hex>`. The clock here
 * counts milliseconds, so the nanoseconds within one start at a random point and count up,
 * which keeps names unique within a recorder and, in all likelihood, across the recorders
 * of other threads and machines writing about the same object in the same millisecond.
 */
class EventNames {
  #last = 0n;
  readonly #offset = BigInt(randomInt(0, 500_000));

  next(objectName: string, nowMs: number): string {
    let nanos = BigInt(Math.floor(nowMs)) * 1_000_000n + this.#offset;
    if (nanos <= this.#last) nanos = this.#last + 1n;
    this.#last = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  }
}

export class EventRecorder {
  readonly #client: EventClient;
  readonly #component: string;
  readonly #host: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #correlator: EventCorrelator;
  /**
   * Writes not begun, by Event name, oldest first. A newer state of an Event replaces its
   * queued one (it carries the higher count), so a burst of repeats costs one write.
   */
  readonly #pending = new Map<string, CoreEvent>();
  /** Events with a write in flight. One write per Event at a time keeps counts in order. */
  readonly #writing = new Set<string>();
  readonly #closed = new AbortController();
  readonly #names = new EventNames();
  readonly #budget: WriteBudget | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Events dropped because the queue was full. */
  dropped = 0;

  constructor(
    client: EventClient,
    component: string,
    host: string,
    log: Logger,
    opts: EventRecorderOptions = {},
  ) {
    this.#client = client;
    this.#component = component;
    this.#host = host;
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    if (opts.qps !== undefined && opts.qps > 0) {
      this.#budget = new WriteBudget(opts.qps, opts.burst ?? 1, this.#clock);
    }
    this.#correlator = new EventCorrelator(this.#clock, (name) =>
      this.#names.next(name, this.#clock.now()),
    );
  }

  /**
   * Records `reason`/`message` about `obj` (type Normal or Warning). `fieldPath` names a
   * part of it, as the kubelet's `spec.containers{web}`. Never throws, never waits.
   */
  event(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    fieldPath?: string,
  ): void {
    if (this.#closed.signal.aborted) return;
    // Dropped before correlation, as client-go drops at its broadcaster's full channel:
    // an event that is not written is not counted either.
    if (this.#pending.size >= QUEUE_LIMIT) {
      this.dropped++;
      return;
    }
    const m = obj.metadata ?? {};
    const now = rfc3339(this.#clock.now());
    const correlation = this.#correlator.correlate({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: this.#names.next(m.name ?? '', this.#clock.now()),
        namespace: m.namespace || 'default',
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.#component, host: this.#host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.#component,
      reportingInstance: this.#host,
    });
    if (correlation.skip) return;
    const { event } = correlation;
    this.#pending.set(event.metadata.name, event);
    this.#pump();
  }

  /** Resolves once every queued event has been written or given up on. */
  flush(): Promise<void> {
    if (this.#idle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops recording: later events are ignored, queued ones dropped, retries abandoned.
   * Writes in flight finish (or are cut when their client closes); flush() tells when.
   */
  close(): void {
    this.#closed.abort();
    this.#pending.clear();
    this.#settle();
  }

  /**
   * What a component does as it stops, before its client closes: waits up to `timeoutMs`
   * (on the recorder's clock) for queued events to be written, then closes. Never throws;
   * idempotent.
   */
  async shutdown(timeoutMs = EVENT_FLUSH_MS): Promise<void> {
    const timedOut = new AbortController();
    await Promise.race([this.flush(), sleep(this.#clock, timeoutMs, timedOut.signal)]);
    timedOut.abort(); // clears the timer when flush won
    this.close();
  }

  #idle(): boolean {
    return this.#pending.size === 0 && this.#writing.size === 0;
  }

  #settle(): void {
    if (!this.#idle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #pump(): void {
    for (const [name, event] of this.#pending) {
      if (this.#writing.size >= CONCURRENCY) break;
      if (this.#writing.has(name)) continue;
      this.#pending.delete(name);
      this.#writing.add(name);
      void this.#write(name, event).then(() => {
        this.#writing.delete(name);
        this.#pump();
        this.#settle();
      });
    }
  }

  /** recordToSink: tries until written, rejected by the server, closed, or out of tries. */
  async #write(name: string, first: CoreEvent): Promise<void> {
    const closed = this.#closed.signal;
    let event = first;
    for (let tries = 1; ; tries++) {
      const waitMs = this.#budget?.reserve() ?? 0;
      if (waitMs > 0) {
        await sleep(this.#clock, waitMs, closed);
        if (closed.aborted) return;
        event = this.#newer(name) ?? event;
      }
      try {
        await this.#send(event);
        return;
      } catch (err) {
        // Cancellation is not an error: the recorder or its client was closed.
        if (closed.aborted || (err as Error).name === 'AbortError') return;
        if (err instanceof ApiError) return this.#reportRejection(err, event);
        if (tries >= MAX_TRIES) {
          this.#log.warn(
            { err, name, reason: event.reason, tries },
            'could not record an event (giving up)',
          );
          return;
        }
        const delayMs = tries === 1 ? this.#random() * RETRY_SLEEP_MS : RETRY_SLEEP_MS;
        await sleep(this.#clock, delayMs, closed);
        if (closed.aborted) return;
        event = this.#newer(name) ?? event;
      }
    }
  }

  /** What was queued for an Event while its write waited: newer, so sent instead. */
  #newer(name: string): CoreEvent | undefined {
    const newer = this.#pending.get(name);
    if (newer) this.#pending.delete(name);
    return newer;
  }

  async #send(event: CoreEvent): Promise<void> {
    const { namespace, name } = event.metadata;
    if (event.count > 1) {
      try {
        await this.#client.patch(
          EVENTS,
          namespace,
          name,
          { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message },
          'strategic',
        );
        return;
      } catch (err) {
        // Deleted, or expired by its TTL: written anew under its name, count and all.
        if (!isNotFound(err)) throw err;
      }
    }
    await this.#client.create(EVENTS, namespace, event);
  }

  #reportRejection(err: ApiError, event: CoreEvent): void {
    const fields = { err, name: event.metadata.name, reason: event.reason };
    // As client-go: neither is worth more than a debug line.
    if (isAlreadyExists(err) || isNamespaceTerminating(err)) {
      this.#log.info(fields, 'the server rejected an event');
    } else {
      this.#log.warn(fields, 'could not record an event');
    }
  }
}
