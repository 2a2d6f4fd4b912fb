import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { FakeClock, type EventHandler, type Logger, type ResourceRef } from '../../client/index.ts';
import { FakeDataPlane } from './fake-data-plane.ts';
import { ServiceProxy, type InformerSource, type ObjectSource, type SyncInfo } from './proxier.ts';

// The controller against hand-fed caches and a fake clock: when it syncs, what it hands
// the data plane, how it coalesces and retries. The table itself is table.test.ts's.

class FakeSource implements ObjectSource {
  readonly #items = new Map<string, KubeObject>();
  readonly #handlers = new Set<EventHandler>();
  readonly store = { list: () => [...this.#items.values()] };
  addEventHandler(handler: EventHandler) {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }
  set(obj: KubeObject) {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    for (const h of this.#handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }
  get handlerCount() {
    return this.#handlers.size;
  }
}

class FakeInformers implements InformerSource {
  readonly services = new FakeSource();
  readonly slices = new FakeSource();
  started = false;
  #synced!: (ok: boolean) => void;
  readonly #sync = new Promise<boolean>((resolve) => (this.#synced = resolve));
  informerFor(ref: ResourceRef) {
    return ref.resource === 'services' ? this.services : this.slices;
  }
  start() {
    this.started = true;
  }
  waitForSync() {
    return this.#sync;
  }
  markSynced() {
    this.#synced(true);
  }
}

const service = (name: string, clusterIP: string): KubeObject => ({
  metadata: { namespace: 'ns', name },
  spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80 }] },
});
const slice = (name: string, ips: string[]): KubeObject => ({
  metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': name } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
  ports: [{ port: 8080 }],
});
const ids = (plane: FakeDataPlane) =>
  plane.applied.map((t) => t.services.map((s) => `${s.id}=${s.endpoints.length}`).join(','));
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const clock = new FakeClock(1000);
  const informers = new FakeInformers();
  const dataPlane = new FakeDataPlane();
  const errors: string[] = [];
  const log: Logger = {
    info: () => {},
    warn: () => {},
    error: (_fields, message) => errors.push(message),
  };
  const syncs: SyncInfo[] = [];
  const proxy = new ServiceProxy({
    informers,
    nodeName: 'node-a',
    dataPlane,
    log,
    clock,
    minSyncIntervalMs: 20,
    onSynced: (info) => syncs.push(info),
  });
  const stop = new AbortController();
  return { clock, informers, dataPlane, errors, syncs, proxy, stop };
}

describe('ServiceProxy', () => {
  it('applies nothing until both informers have synced, then the whole table once', async () => {
    const { informers, dataPlane, proxy, stop } = setup();
    informers.services.set(service('web', '10.96.0.10'));
    informers.slices.set(slice('web', ['10.1.0.1']));
    const started = proxy.start(stop.signal);
    await settle();
    assert.equal(informers.started, true);
    assert.equal(dataPlane.applyCalls, 0);
    informers.markSynced();
    await started;
    assert.deepEqual(ids(dataPlane), ['ns/web=1']);
    await proxy.close();
  });

  it('coalesces a burst of events into one apply, at least minSyncIntervalMs apart', async () => {
    const { clock, informers, dataPlane, proxy, stop, syncs } = setup();
    informers.markSynced();
    await proxy.start(stop.signal);
    assert.deepEqual(ids(dataPlane), ['']);
    for (let i = 1; i <= 50; i++) informers.slices.set(slice('web', [`10.1.0.${i}`]));
    informers.services.set(service('web', '10.96.0.10'));
    await settle();
    assert.equal(dataPlane.applyCalls, 1, 'waits out the minimum interval');
    clock.advance(20);
    await settle();
    assert.deepEqual(ids(dataPlane), ['', 'ns/web=1']);
    assert.equal(syncs.at(-1)!.startedAt, 1020);
    await proxy.close();
  });

  it('does not call the data plane when the table is unchanged, but reports the sync', async () => {
    const { clock, informers, dataPlane, proxy, stop, syncs } = setup();
    informers.services.set(service('web', '10.96.0.10'));
    informers.markSynced();
    await proxy.start(stop.signal);
    // An update that changes nothing the proxy reads (a label, say).
    informers.services.set({
      ...service('web', '10.96.0.10'),
      metadata: { namespace: 'ns', name: 'web', labels: { a: 'b' } },
    });
    clock.advance(20);
    await settle();
    assert.equal(dataPlane.applyCalls, 1);
    assert.deepEqual(
      syncs.map((s) => s.changed),
      [true, false],
    );
    assert.equal(proxy.lastSyncedAt, 1020);
    await proxy.close();
  });

  it('retries a failed apply with doubling back-off, applying the same table again', async () => {
    const { clock, informers, dataPlane, errors, proxy, stop } = setup();
    informers.markSynced();
    await proxy.start(stop.signal);
    dataPlane.failNext(3);
    informers.services.set(service('web', '10.96.0.10'));
    clock.advance(20);
    await settle();
    assert.equal(dataPlane.applyCalls, 2);
    for (const [ms, calls] of [
      [99, 2],
      [1, 3],
      [200, 4],
      [399, 4],
      [1, 5],
    ] as const) {
      clock.advance(ms);
      await settle();
      assert.equal(dataPlane.applyCalls, calls, `after ${ms} ms more`);
    }
    assert.deepEqual(ids(dataPlane), ['', 'ns/web=0']);
    assert.equal(errors.length, 3);
    await proxy.close();
  });

  it('applies the same table again when the data plane reports rules changed behind it', async () => {
    const { clock, informers, dataPlane, errors, proxy, stop } = setup();
    informers.services.set(service('web', '10.96.0.10'));
    informers.markSynced();
    await proxy.start(stop.signal);
    clock.advance(30_000);
    await settle();
    assert.equal(dataPlane.verifyCalls, 1);
    assert.equal(dataPlane.applyCalls, 1, 'nothing changed: nothing applied');

    dataPlane.drift = ['nat chain WHARF-SERVICES holds 0 rules, not 3'];
    dataPlane.failNext(1);
    clock.advance(30_000);
    await settle();
    assert.equal(dataPlane.verifyCalls, 2);
    assert.equal(dataPlane.applyCalls, 2, 'applied again at once');
    assert.equal(errors.length, 1);
    // The failed apply is retried after its back-off even though the table is the same.
    clock.advance(100);
    await settle();
    assert.equal(dataPlane.applyCalls, 3);
    assert.deepEqual(dataPlane.drift, []);
    assert.deepEqual(ids(dataPlane), ['ns/web=0', 'ns/web=0']);
    await proxy.close();
  });

  it('close stops syncing, removes its handlers and closes the data plane', async () => {
    const { clock, informers, dataPlane, proxy, stop } = setup();
    informers.markSynced();
    await proxy.start(stop.signal);
    informers.services.set(service('web', '10.96.0.10'));
    await proxy.close();
    await proxy.close();
    assert.equal(dataPlane.closed, true);
    assert.equal(informers.services.handlerCount, 0);
    assert.equal(clock.pendingTimers, 0);
    clock.advance(1000);
    await settle();
    assert.equal(dataPlane.applyCalls, 1);
  });

  it('stops syncing when the start signal aborts', async () => {
    const { clock, informers, dataPlane, proxy, stop } = setup();
    informers.markSynced();
    await proxy.start(stop.signal);
    stop.abort();
    informers.services.set(service('web', '10.96.0.10'));
    clock.advance(1000);
    await settle();
    assert.equal(dataPlane.applyCalls, 1);
    await proxy.close();
  });
});
