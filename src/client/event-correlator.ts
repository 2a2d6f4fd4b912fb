import { rfc3339 } from '../api/index.ts';
import type { Clock } from './clock.ts';

// client-go's EventCorrelator (tools/record/events_cache.go): what happens to a core/v1
// Event before it is written. Three steps, in client-go's order:
//
//   1. aggregate  More than 10 events within 10 minutes that differ only in message (same
//                 source, object, type, reason, reporting component and instance) become
//                 one Event, "(combined from similar events): <latest message>".
//   2. observe    The same event again (same key, message included) is the Event already
//                 written, with its count raised and its last timestamp moved: a patch,
//                 not a new object.
//   3. filter     A token bucket per source and object (25 at once, then one every five
//                 minutes) drops the rest. The count of step 2 has already moved, so the
//                 next write that gets through carries every occurrence.
//
// Each step keeps its state in its own least-recently-used cache of 4096 entries.

export const AGGREGATE_MAX_EVENTS = 10;
export const AGGREGATE_WINDOW_MS = 600_000;
export const SPAM_BURST = 25;
export const SPAM_REFILL_PER_MS = 1 / 300_000;
const CACHE_ENTRIES = 4096;
export const COMBINED_PREFIX = '(combined from similar events): ';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** The core/v1 Event fields the recorder writes. */
export type CoreEvent = {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: string;
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
};

export type Correlation =
  | { skip: true }
  | {
      skip: false;
      /**
       * What the Event should now be, under the name of the Event to write. A count above
       * 1 means it was written before (as far as this correlator knows): patch it.
       */
      event: CoreEvent;
    };

/** A Map that forgets its least recently used entry beyond `limit`, as groupcache/lru. */
class LruCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  add(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}

// Keys join their parts with a character no name, reason or source contains (client-go
// concatenates them bare, where "ab"+"c" and "a"+"bc" meet; no behaviour to keep).
const key = (...parts: (string | undefined)[]) => parts.join('\u0000');

function objectParts(o: ObjectReference): (string | undefined)[] {
  return [o.kind, o.namespace, o.name, o.uid, o.apiVersion];
}

/** getEventKey: everything that makes two events the same, message included. */
function eventKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return key(
    e.source.component,
    e.source.host,
    ...objectParts(o),
    o.fieldPath,
    e.type,
    e.reason,
    e.message,
  );
}

/** EventAggregatorByReasonFunc: the group of similar events, and the event within it. */
function aggregateKeys(e: CoreEvent): { aggregateKey: string; localKey: string } {
  return {
    aggregateKey: key(
      e.source.component,
      e.source.host,
      ...objectParts(e.involvedObject),
      e.type,
      e.reason,
      e.reportingComponent,
      e.reportingInstance,
    ),
    localKey: e.message,
  };
}

/** getSpamKey: source and object, whatever the event says. */
function spamKey(e: CoreEvent): string {
  return key(e.source.component, e.source.host, ...objectParts(e.involvedObject));
}

interface AggregateRecord {
  /** Distinct messages seen in the window; never more than AGGREGATE_MAX_EVENTS - 1 kept. */
  messages: Set<string>;
  lastMs: number;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
}

/** A token bucket that is asked, never waited on (flowcontrol's passive rate limiter). */
class TokenBucket {
  #tokens: number;
  #lastMs: number;

  constructor(
    readonly burst: number,
    readonly perMs: number,
    nowMs: number,
  ) {
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  tryAccept(nowMs: number): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + (nowMs - this.#lastMs) * this.perMs);
    this.#lastMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export class EventCorrelator {
  readonly #clock: Clock;
  readonly #newName: (objectName: string) => string;
  readonly #aggregates = new LruCache<AggregateRecord>(CACHE_ENTRIES);
  readonly #observations = new LruCache<Observation>(CACHE_ENTRIES);
  readonly #spam = new LruCache<TokenBucket>(CACHE_ENTRIES);

  /** `newName` names a new Event about the object called `objectName`. */
  constructor(clock: Clock, newName: (objectName: string) => string) {
    this.#clock = clock;
    this.#newName = newName;
  }

  /** Runs the three steps for `event`, a fresh Event with count 1. Never mutates it. */
  correlate(event: CoreEvent): Correlation {
    const nowMs = this.#clock.now();
    const { event: aggregated, cacheKey } = this.#aggregate(event, nowMs);
    const observed = this.#observe(aggregated, cacheKey);
    if (!this.#allow(observed, nowMs)) return { skip: true };
    return { skip: false, event: observed };
  }

  /** EventAggregator.EventAggregate: the event as is, or the combined one that stands for it. */
  #aggregate(event: CoreEvent, nowMs: number): { event: CoreEvent; cacheKey: string } {
    const { aggregateKey, localKey } = aggregateKeys(event);
    let record = this.#aggregates.get(aggregateKey);
    if (!record || nowMs - record.lastMs > AGGREGATE_WINDOW_MS) {
      record = { messages: new Set(), lastMs: nowMs };
    }
    record.messages.add(localKey);
    record.lastMs = nowMs;
    this.#aggregates.add(aggregateKey, record);
    if (record.messages.size < AGGREGATE_MAX_EVENTS) return { event, cacheKey: eventKey(event) };
    // Keep the set below the threshold so that every further new message aggregates too.
    // client-go drops an arbitrary member; the oldest here, so that runs repeat.
    record.messages.delete(record.messages.values().next().value!);
    const now = rfc3339(nowMs);
    // client-go's combined Event leaves out reportingComponent and reportingInstance; they
    // are part of the group's key, so they are kept here rather than shown empty.
    const combined: CoreEvent = {
      ...event,
      metadata: {
        name: this.#newName(event.involvedObject.name ?? ''),
        namespace: event.metadata.namespace,
      },
      message: COMBINED_PREFIX + event.message,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    // The combined Event is found again by its group, whatever its latest message.
    return { event: combined, cacheKey: aggregateKey };
  }

  /** eventLogger.eventObserve: a repeat becomes the Event already written, counted once more. */
  #observe(event: CoreEvent, cacheKey: string): CoreEvent {
    const last = this.#observations.get(cacheKey);
    const observed: CoreEvent = last
      ? {
          ...event,
          metadata: { ...event.metadata, name: last.name },
          firstTimestamp: last.firstTimestamp,
          count: last.count + 1,
        }
      : event;
    // client-go also refreshes this entry from the server's answer. Here correlation runs
    // ahead of the writes, so the entry already holds what will be written, and a late
    // answer must not move a count back.
    this.#observations.add(cacheKey, {
      count: observed.count,
      firstTimestamp: observed.firstTimestamp,
      name: observed.metadata.name,
    });
    return observed;
  }

  /** EventSourceObjectSpamFilter.Filter, inverted: whether the event may be written. */
  #allow(event: CoreEvent, nowMs: number): boolean {
    const k = spamKey(event);
    const bucket = this.#spam.get(k) ?? new TokenBucket(SPAM_BURST, SPAM_REFILL_PER_MS, nowMs);
    this.#spam.add(k, bucket);
    return bucket.tryAccept(nowMs);
  }
}
