import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/index.ts';
import { FakeClock } from './clock.ts';
import { Informer } from './informer.ts';
import type { Logger } from './logger.ts';
import type {
  ListOptions,
  ObjectList,
  RestClient,
  WatchEvent,
  WatchOptions,
} from './rest-client.ts';
import { CONFIGMAPS, eventually } from './test-support.ts';

// The informer's loop against a scripted client: each list and watch call takes the next
// answer from a script; once the watch script is used up, watches stay open until aborted.

const obj = (name: string, rv: string): KubeObject => ({
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});
const list = (rv: string, items: KubeObject[]): ObjectList => ({
  kind: 'ConfigMapList',
  apiVersion: 'v1',
  metadata: { resourceVersion: rv },
  items,
});
const gone: WatchEvent = {
  type: 'ERROR',
  object: {
    kind: 'Status',
    status: 'Failure',
    code: 410,
    reason: 'Expired',
    message: 'too old resource version',
  },
};

class ScriptedClient {
  lists: (ObjectList | Error)[] = [];
  watches: (WatchEvent[] | Error)[] = [];
  watchedFrom: (string | undefined)[] = [];

  async list(_ref: unknown, _ns: string, _opts: ListOptions): Promise<ObjectList> {
    const next = this.lists.shift();
    if (!next) throw new Error('script: no more lists');
    if (next instanceof Error) throw next;
    return next;
  }

  async *watch(_ref: unknown, _ns: string, opts: WatchOptions): AsyncGenerator<WatchEvent> {
    this.watchedFrom.push(opts.resourceVersion);
    const next = this.watches.shift();
    if (next instanceof Error) throw next;
    if (next) return yield* next;
    if (opts.signal?.aborted) return;
    await new Promise((resolve) => opts.signal?.addEventListener('abort', resolve, { once: true }));
  }
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    info: (_f, m) => lines.push(`info ${m}`),
    warn: (_f, m) => lines.push(`warn ${m}`),
    error: (_f, m) => lines.push(`error ${m}`),
  };
  return { lines, logger };
}

function setUp(script: (client: ScriptedClient) => void) {
  const client = new ScriptedClient();
  script(client);
  const clock = new FakeClock(1_000_000);
  const { lines, logger } = recordingLogger();
  const informer = new Informer(client as unknown as RestClient, CONFIGMAPS, {
    namespace: 'ns',
    clock,
    logger,
  });
  const events: string[] = [];
  const rv = (o: KubeObject) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`;
  informer.addEventHandler({
    onAdd: (o) => events.push(`add ${rv(o)}`),
    onUpdate: (a, b) => events.push(`update ${rv(a)}->${rv(b)}`),
    onDelete: (o) => events.push(`delete ${rv(o)}`),
  });
  return { client, clock, lines, informer, events };
}

describe('Informer (scripted client)', { timeout: 10_000 }, () => {
  it('re-lists after a 410 and emits only the differences', async () => {
    const { client, informer, events } = setUp((c) => {
      c.lists.push(list('10', [obj('a', '1'), obj('b', '2'), obj('same', '3')]));
      c.watches.push([
        { type: 'MODIFIED', object: obj('a', '11') },
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } },
      ]);
      c.watches.push([gone]);
      c.lists.push(list('21', [obj('a', '20'), obj('c', '19'), obj('same', '3')]));
    });
    const stop = new AbortController();
    informer.start(stop.signal);
    assert.equal(await informer.waitForSync(AbortSignal.timeout(5_000)), true);
    await eventually('the watch after the re-list', () => client.watchedFrom.length === 3);
    await informer.stop();
    assert.deepEqual(client.watchedFrom, ['10', '15', '21']);
    assert.deepEqual(events, [
      'add a@1',
      'add b@2',
      'add same@3',
      'update a@1->a@11',
      'update a@11->a@20',
      'add c@19',
      'delete b@2',
    ]);
    assert.deepEqual(informer.store.keys().sort(), ['ns/a', 'ns/c', 'ns/same']);
    assert.equal(informer.lastSyncResourceVersion(), '21');
  });

  it('logs a failed list and retries it after a back-off', async () => {
    const { clock, lines, informer } = setUp((c) => {
      c.lists.push(new Error('connection refused'));
      c.lists.push(list('5', [obj('a', '1')]));
    });
    informer.start();
    await eventually('the failure to be logged', () => lines.length > 0);
    assert.deepEqual(lines, ['warn informer: list/watch failed, retrying']);
    assert.equal(informer.hasSynced(), false);
    clock.advance(800);
    assert.equal(await informer.waitForSync(AbortSignal.timeout(5_000)), true);
    assert.deepEqual(informer.store.keys(), ['ns/a']);
    await informer.stop();
  });

  it('keeps going when a handler throws, logging it as a bug', async () => {
    const { lines, informer, events } = setUp((c) => c.lists.push(list('5', [obj('a', '1')])));
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    informer.start();
    assert.equal(await informer.waitForSync(AbortSignal.timeout(5_000)), true);
    await informer.stop();
    assert.deepEqual(events, ['add a@1']);
    assert.deepEqual(lines, ['error informer: event handler threw (a bug)']);
  });

  it('replays the store to handlers added later and serves named indexes', async () => {
    const labelled = (name: string, app: string) => ({
      ...obj(name, '1'),
      metadata: { ...obj(name, '1').metadata, labels: { app } },
    });
    const { informer } = setUp((c) =>
      c.lists.push(list('5', [labelled('a', 'web'), labelled('b', 'db'), labelled('c', 'web')])),
    );
    informer.store.addIndexer('app', (o) => [o.metadata?.labels?.app ?? '']);
    informer.start();
    assert.equal(await informer.waitForSync(AbortSignal.timeout(5_000)), true);
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (o) => late.push(o.metadata!.name!) });
    assert.deepEqual(late.sort(), ['a', 'b', 'c']);
    assert.deepEqual(
      informer.store
        .byIndex('app', 'web')
        .map((o) => o.metadata?.name)
        .sort(),
      ['a', 'c'],
    );
    assert.deepEqual(informer.store.byIndex('app', 'none'), []);
    assert.equal(
      informer.store.get('ns/a'),
      informer.store.byIndex('app', 'web').find((o) => o.metadata?.name === 'a'),
    );
    await informer.stop();
  });
});
