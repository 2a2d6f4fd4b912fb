import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/index.ts';
import { isNotFound } from './api-error.ts';
import type { Logger } from './logger.ts';
import type { ResourceRef, RestClient } from './rest-client.ts';

// core/v1 Events about objects, as client-go's event recorder writes them: the same event
// again (same object, reason and message) within ten minutes bumps the count of the
// existing Event instead of making a new one; writes happen in the background through a
// bounded queue that drops events rather than slowing the caller, as client-go does.

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };
const AGGREGATE_WINDOW_MS = 10 * 60_000;
const QUEUE_LIMIT = 1000;
const CONCURRENCY = 4;

interface Pending {
  key: string;
  event: KubeObject;
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  readonly #client: RestClient;
  readonly #component: string;
  readonly #host: string;
  readonly #log: Logger;
  readonly #recent = new Map<
    string,
    { name: string; namespace: string; count: number; first: number; at: number }
  >();
  #queue: Pending[] = [];
  #running = 0;
  dropped = 0;

  constructor(client: RestClient, component: string, host: string, log: Logger) {
    this.#client = client;
    this.#component = component;
    this.#host = host;
    this.#log = log;
  }

  /**
   * Records `reason`/`message` about `obj` (type Normal or Warning). `fieldPath` names a
   * part of it, as the kubelet's `spec.containers{web}`. Never throws.
   */
  event(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    fieldPath?: string,
  ): void {
    const m = obj.metadata ?? {};
    const namespace = m.namespace || 'default';
    const key = `${m.uid}/${fieldPath ?? ''}/${type}/${reason}/${message}`;
    const now = Date.now();
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${randomBytes(8).toString('hex')}`, namespace },
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
      firstTimestamp: timestamp(now),
      lastTimestamp: timestamp(now),
      count: 1,
      reportingComponent: this.#component,
      reportingInstance: `${this.#component}-${this.#host}`,
    };
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.dropped++;
      return;
    }
    this.#queue.push({ key, event });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < CONCURRENCY && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#running++;
      void this.#write(next).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #write({ key, event }: Pending): Promise<void> {
    const now = Date.now();
    const seen = this.#recent.get(key);
    try {
      if (seen && now - seen.at < AGGREGATE_WINDOW_MS) {
        seen.count++;
        seen.at = now;
        try {
          await this.#client.patch(
            EVENTS,
            seen.namespace,
            seen.name,
            { count: seen.count, lastTimestamp: timestamp(now) },
            'merge',
          );
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const namespace = event.metadata!.namespace!;
      await this.#client.create(EVENTS, namespace, event);
      this.#recent.set(key, {
        name: event.metadata!.name!,
        namespace,
        count: 1,
        first: now,
        at: now,
      });
      if (this.#recent.size > 4096) {
        for (const [k, v] of this.#recent)
          if (now - v.at >= AGGREGATE_WINDOW_MS) this.#recent.delete(k);
      }
    } catch (err) {
      this.#log.warn({ err, reason: event.reason }, 'could not record an event');
    }
  }
}
