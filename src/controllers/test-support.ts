import type { KubeObject } from '../api/index.ts';
import { objectKey, type IndexFunc, type StoreReader } from '../client/index.ts';

// For the controllers' unit tests only (never exported from index.ts): an informer cache
// that tests fill by hand, shared by every controller's test-support.

/** A cache tests fill by hand; indexes are computed on each read. */
export class FakeStore implements StoreReader {
  readonly #items = new Map<string, KubeObject>();
  readonly #indexers = new Map<string, IndexFunc<KubeObject>>();

  constructor(objs: KubeObject[] = []) {
    for (const obj of objs) this.set(obj);
  }
  set(obj: KubeObject): void {
    this.#items.set(objectKey(obj), obj);
  }
  remove(obj: KubeObject): void {
    this.#items.delete(objectKey(obj));
  }
  get(key: string) {
    return this.#items.get(key);
  }
  list() {
    return [...this.#items.values()];
  }
  keys() {
    return [...this.#items.keys()];
  }
  get size() {
    return this.#items.size;
  }
  byIndex(name: string, value: string) {
    const fn = this.#indexers.get(name);
    if (!fn) throw new Error(`no indexer named ${name}`);
    return this.list().filter((o) => fn(o).includes(value));
  }
  addIndexer(name: string, fn: IndexFunc<KubeObject>) {
    this.#indexers.set(name, fn);
  }
}
