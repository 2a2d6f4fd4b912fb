import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import { EndpointSliceTracker } from './tracker.ts';

// The tracker on its own: which slice events are our own writes, and when the cache is
// behind them.

const slice = (uid: string, rv: number, service = 'web'): KubeObject => ({
  metadata: {
    name: `${service}-${uid}`,
    namespace: 'ns',
    uid,
    resourceVersion: String(rv),
    labels: { 'kubernetes.io/service-name': service },
  },
});

describe('EndpointSliceTracker', () => {
  it('recognises our own writes and sees later ones by anyone else', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.shouldSync(slice('a', 5)), true, 'never written by us');
    t.update(slice('a', 5));
    assert.equal(t.has(slice('a', 5)), true);
    assert.equal(t.shouldSync(slice('a', 5)), false);
    assert.equal(t.shouldSync(slice('a', 6)), true);
    assert.equal(t.shouldSync(slice('a', 5, 'other')), true, 'another service');
  });

  it('says the cache is stale while it lags behind our writes', () => {
    const t = new EndpointSliceTracker();
    assert.equal(t.staleSlices('ns/web', []), false);
    t.update(slice('a', 5));
    assert.equal(t.staleSlices('ns/web', [slice('a', 4)]), true, 'older than written');
    assert.equal(t.staleSlices('ns/web', []), true, 'written, not yet seen');
    assert.equal(t.staleSlices('ns/web', [slice('a', 5)]), false);
    t.expectDeletion(slice('a', 5));
    assert.equal(t.staleSlices('ns/web', [slice('a', 5)]), true, 'deleted, still seen');
    assert.equal(t.staleSlices('ns/web', []), false);
  });

  it('tells expected deletions from unexpected ones', () => {
    const t = new EndpointSliceTracker();
    t.update(slice('a', 5));
    t.update(slice('b', 6));
    t.expectDeletion(slice('a', 5));
    assert.equal(t.handleDeletion(slice('a', 5)), true);
    assert.equal(t.handleDeletion(slice('b', 6)), false);
    assert.equal(t.has(slice('b', 6)), false);
    t.update(slice('c', 7));
    t.deleteService('ns/web');
    assert.equal(t.staleSlices('ns/web', []), false);
  });
});
