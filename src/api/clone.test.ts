import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloneJson } from './clone.ts';

describe('cloneJson', () => {
  it('copies nested objects and arrays so that changing the copy leaves the original', () => {
    const original = {
      metadata: { name: 'p', labels: { app: 'a' } },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], nodeName: null },
    };
    const copy = cloneJson(original);
    assert.deepEqual(copy, original);
    copy.metadata.labels.app = 'b';
    copy.spec.containers[0]!.ports.push({ containerPort: 81 });
    assert.equal(original.metadata.labels.app, 'a');
    assert.equal(original.spec.containers[0]!.ports.length, 1);
    assert.notEqual(copy.spec, original.spec);
  });

  it('keeps what structuredClone keeps: undefined members, dates, maps', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const copy = cloneJson({ a: undefined, when, seen: new Map([['k', 1]]), list: [undefined] });
    assert.ok('a' in copy);
    assert.ok(copy.when instanceof Date);
    assert.equal(copy.when.getTime(), when.getTime());
    assert.notEqual(copy.when, when);
    assert.equal(copy.seen.get('k'), 1);
    assert.deepEqual(copy.list, [undefined]);
  });

  it('copies objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { x: { y: 1 } });
    const copy = cloneJson(bare);
    assert.deepEqual({ ...copy }, { x: { y: 1 } });
    assert.notEqual(copy.x, bare.x);
  });
});
