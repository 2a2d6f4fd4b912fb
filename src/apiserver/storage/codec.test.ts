import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import type { KeyValue } from '../../store/index.ts';
import {
  decodeCachedObject,
  decodeObject,
  encodeObject,
  encodeWritten,
  settleWritten,
  withResourceVersion,
} from './codec.ts';
import { jsonOf, knownJsonOf } from './serialized.ts';

const kvOf = (obj: KubeObject, modRevision = 42): KeyValue => ({
  key: '/registry/things/default/x',
  value: encodeObject(obj),
  createRevision: 1,
  modRevision,
  version: 1,
  ttlSeconds: 0,
});

const objects: Record<string, KubeObject> = {
  'a pod': {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '7', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'busybox', args: ['"metadata":{'] }] },
  },
  'metadata after a nested metadata': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    spec: { template: { metadata: { labels: { app: 'web' } } } },
    metadata: { name: 'web' },
  },
  'empty metadata': { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
  'no metadata': { apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'v' } },
  'escapes and unicode before metadata': {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    data: { 'x\\"metadata\\":{': 'é ☃ \u2028 "quoted" \\ {[', y: '}' },
    metadata: { name: 'odd', annotations: { n: '"metadata":{}' } },
  },
};

describe('objects read back from the store', () => {
  for (const [name, obj] of Object.entries(objects)) {
    it(`${name}: the cached object's JSON is what serializing it gives`, () => {
      const kv = kvOf(obj);
      const cached = decodeCachedObject(kv);
      assert.equal(cached.metadata?.resourceVersion, '42');
      assert.equal(jsonOf(cached), JSON.stringify(cached));
      assert.deepEqual(cached, decodeObject(kv));
    });
  }

  it('splices only into the outermost metadata', () => {
    const text = (obj: KubeObject) => encodeObject(obj).toString('utf8');
    assert.equal(
      withResourceVersion(text(objects['a pod']!), '9'),
      '{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"9","name":"web","namespace":"default","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox","args":["\\"metadata\\":{"]}]}}',
    );
    assert.equal(
      withResourceVersion(text(objects['empty metadata']!), '9'),
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"resourceVersion":"9"}}',
    );
    assert.equal(
      withResourceVersion(text(objects['metadata after a nested metadata']!), '9'),
      undefined,
    );
    assert.equal(withResourceVersion(text(objects['no metadata']!), '9'), undefined);
  });

  it('keeps the revision, not a resourceVersion left in the stored text', () => {
    const kv = {
      ...kvOf(objects['a pod']!),
      value: Buffer.from('{"kind":"Pod","metadata":{"name":"p","resourceVersion":"3"}}'),
    };
    const cached = decodeCachedObject(kv);
    assert.equal(cached.metadata?.resourceVersion, '42');
    assert.equal(jsonOf(cached), JSON.stringify(cached));
  });
});

describe('a write of this process, as the watch cache takes it', () => {
  const pod = (): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', resourceVersion: '3' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  const kv = (value: Buffer, modRevision: number): KeyValue => ({
    key: '/registry/core/pods/default/p',
    value,
    createRevision: 1,
    modRevision,
    version: 2,
    ttlSeconds: 0,
  });

  it('is the writer’s own object, frozen, with the write’s resourceVersion and JSON', () => {
    const obj = pod();
    const { value, json } = encodeWritten(obj);
    assert.ok(!json.includes('resourceVersion'), 'the stored JSON has no resourceVersion');
    const cached = decodeCachedObject(kv(value, 9));
    assert.equal(cached, obj);
    assert.ok(Object.isFrozen(cached) && Object.isFrozen(cached.metadata));
    assert.equal(cached.metadata?.resourceVersion, '9');
    assert.deepEqual(JSON.parse(knownJsonOf(cached)), cached);
    // The writer, resuming after its write, finds it settled and changes nothing.
    settleWritten(obj, json, 9);
    assert.equal(obj.metadata?.resourceVersion, '9');
  });

  it('is decoded afresh when the stored bytes did not come from this process', () => {
    const obj = pod();
    const { value } = encodeWritten(obj);
    const cached = decodeCachedObject(kv(Buffer.from(value), 9));
    assert.notEqual(cached, obj);
    assert.ok(!Object.isFrozen(cached));
    assert.equal(cached.metadata?.resourceVersion, '9');
    assert.deepEqual(cached.spec, obj.spec);
  });

  it('is taken once: a second event with the same bytes is decoded', () => {
    const obj = pod();
    const { value } = encodeWritten(obj);
    assert.equal(decodeCachedObject(kv(value, 9)), obj);
    assert.notEqual(decodeCachedObject(kv(value, 9)), obj);
  });
});
