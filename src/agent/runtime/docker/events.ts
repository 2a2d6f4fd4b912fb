import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../../client/index.ts';
import { engineMessage } from './engine.ts';

// The engine's `/events` stream narrowed to `die` events of one instance's containers.
// Subscribing is racy (the engine flushes its headers before it subscribes), so every
// connection asks for events `since` the last one seen — the engine replays what it
// buffered — and replays are dropped by (id, timeNano). A dropped stream reconnects with
// back-off until `close()`.

export interface DieEvent {
  id: string;
  attributes: Record<string, string>;
  timeNano: number;
}

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

const MAX_BACKOFF_MS = 10_000;
const SEEN_LIMIT = 1_000;

export class DieEventWatcher {
  readonly #docker: Docker;
  readonly #labels: string[];
  readonly #onDie: (event: DieEvent) => void;
  readonly #oomKilled = new Set<string>();
  readonly #log: Logger;
  /** Seconds since the epoch, to the millisecond (the engine takes fractions). */
  #since = Date.now() / 1000;
  #stream: Readable | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = 250;
  #closed = false;
  readonly #seen = new Set<string>();

  constructor(docker: Docker, labels: string[], onDie: (e: DieEvent) => void, log: Logger) {
    this.#docker = docker;
    this.#labels = labels;
    this.#onDie = onDie;
    this.#log = log;
  }

  /** Resolves once subscribed; rejects when the engine does not answer. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Whether the engine reported an OOM kill in this container. */
  oomKilled(id: string): boolean {
    return this.#oomKilled.has(id);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.destroy();
  }

  async #connect(): Promise<void> {
    const stream = (await this.#docker.getEvents({
      since: this.#since,
      filters: { type: ['container'], event: ['die', 'oom'], label: this.#labels },
    })) as Readable;
    if (this.#closed) {
      stream.destroy();
      return;
    }
    this.#stream = stream;
    this.#backoffMs = 250;
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.#handle(line);
    });
    const dropped = (err?: unknown) => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      if (this.#closed) return;
      this.#log.warn({ err }, 'docker event stream ended; reconnecting');
      this.#reconnectLater();
    };
    stream.once('error', dropped);
    stream.once('end', () => dropped());
    stream.once('close', () => dropped());
  }

  #reconnectLater(): void {
    this.#timer = setTimeout(() => {
      this.#connect().catch((err: unknown) => {
        this.#log.warn({ err: engineMessage(err) }, 'docker event stream: reconnect failed');
        this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
        if (!this.#closed) this.#reconnectLater();
      });
    }, this.#backoffMs);
  }

  #handle(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch (err) {
      this.#log.error({ err, line }, 'docker event stream: unparsable event');
      return;
    }
    const id = event.Actor?.ID;
    // timeNano exceeds a double's precision: read its digits from the text.
    const timeNano = /"timeNano":\s*(\d+)/.exec(line)?.[1];
    if (event.Action === 'oom' && id) {
      // The engine may mark State.OOMKilled only after it reported the death: the oom
      // event, which comes first, is the reliable sign.
      this.#oomKilled.add(id);
      if (this.#oomKilled.size > SEEN_LIMIT)
        this.#oomKilled.delete(this.#oomKilled.values().next().value!);
      return;
    }
    if (event.Action !== 'die' || !id || !timeNano) return;
    this.#since = Number(timeNano.slice(0, -6)) / 1000; // floored to the ms: replays are dropped
    const key = `${id}@${timeNano}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    if (this.#seen.size > SEEN_LIMIT) this.#seen.delete(this.#seen.values().next().value!);
    this.#onDie({ id, attributes: event.Actor?.Attributes ?? {}, timeNano: Number(timeNano) });
  }
}
