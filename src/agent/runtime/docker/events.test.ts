import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { DieEventWatcher, type DieEvent } from './events.ts';

// The watcher against a scripted engine: each `getEvents` call hands out the next stream.

function scriptedEngine() {
  const calls: Array<{ since: number; filters: unknown }> = [];
  const streams: PassThrough[] = [];
  const engine = {
    getEvents: async (options: { since: number; filters: unknown }) => {
      calls.push(options);
      const stream = new PassThrough();
      streams.push(stream);
      return stream;
    },
  };
  return { docker: engine as unknown as Docker, calls, streams };
}

const quiet = { info() {}, warn() {}, error() {} };

function dieLine(id: string, timeNano: string, exitCode = 0): string {
  return (
    JSON.stringify({
      Type: 'container',
      Action: 'die',
      Actor: { ID: id, Attributes: { exitCode: String(exitCode) } },
      time: Number(timeNano.slice(0, -9)),
    }).replace(/}$/, `,"timeNano":${timeNano}}`) + '\n'
  );
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached');
}

describe('docker die-event watcher', () => {
  it('reports die events, reconnects from the last one, and drops replays', async () => {
    const { docker, calls, streams } = scriptedEngine();
    const seen: DieEvent[] = [];
    const watcher = new DieEventWatcher(
      docker,
      ['dev.wharf.instance=a'],
      (e) => seen.push(e),
      quiet,
    );
    await watcher.start();
    assert.deepEqual(calls[0]!.filters, {
      type: ['container'],
      event: ['die', 'oom'],
      label: ['dev.wharf.instance=a'],
    });
    const first = dieLine('c1', '1714557600123456789', 3);
    // An event may arrive split across chunks.
    streams[0]!.write(first.slice(0, 20));
    streams[0]!.write(first.slice(20));
    await until(() => seen.length === 1);
    assert.equal(seen[0]!.id, 'c1');
    assert.equal(seen[0]!.attributes.exitCode, '3');

    streams[0]!.end(); // the engine dropped the stream
    await until(() => calls.length === 2);
    assert.equal(calls[1]!.since, 1714557600.123);
    streams[1]!.write(first); // replayed: already reported
    streams[1]!.write(dieLine('c2', '1714557601000000000'));
    await until(() => seen.length === 2);
    assert.deepEqual(
      seen.map((e) => e.id),
      ['c1', 'c2'],
    );
    watcher.close();
    assert.ok(streams[1]!.destroyed);
  });
});
