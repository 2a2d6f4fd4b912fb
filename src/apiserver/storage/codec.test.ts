import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/index.ts';
import type { KeyValue } from '../../store/index.ts';
import { decodeCachedObject, decodeObject, encodeObject, withResourceVersion } from './codec.ts';
import { jsonOf } from './serialized.ts';

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
