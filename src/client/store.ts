import type { KubeObject } from '../api/index.ts';

// The informer's cache, as client-go's cache.Indexer: objects by `namespace/name` (just
// `name` for cluster-scoped ones) plus named secondary indexes.
//
// Objects in the store are shared by every reader and every event handler and must
// never be mutated: structuredClone an object before changing it. Reads hand out the
// stored objects themselves, without copying.

/** Computes the values under which an object is indexed (e.g. its node name). */
export type IndexFunc<T> = (obj: T) => string[];

/** client-go's MetaNamespaceKeyFunc. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Objects by namespace: `addIndexer(NAMESPACE_INDEX, namespaceIndex)`. */
export const NAMESPACE_INDEX = 'namespace';
export const namespaceIndex: IndexFunc<KubeObject> = (obj) => [obj.metadata?.namespace ?? ''];

/** The read side of a Store, which is all an informer's users get. */
export interface StoreReader<T extends KubeObject = KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  readonly size: number;
  /** Objects whose index function returned `value`; throws if no such indexer. */
  byIndex(indexName: string, value: string): T[];
  /** Adds (and builds) a named index; a name can be added once. */
  addIndexer(indexName: string, fn: IndexFunc<T>): void;
}

export class Store<T extends KubeObject = KubeObject> implements StoreReader<T> {
  #items = new Map<string, T>();
  #indexers = new Map<string, IndexFunc<T>>();
  /** index name → indexed value → keys */
  #indices = new Map<string, Map<string, Set<string>>>();

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new Error(`no indexer named ${JSON.stringify(indexName)}`);
    return [...(index.get(value) ?? [])].map((key) => this.#items.get(key)!);
  }

  addIndexer(indexName: string, fn: IndexFunc<T>): void {
    if (this.#indexers.has(indexName))
      throw new Error(`indexer ${JSON.stringify(indexName)} already exists`);
    this.#indexers.set(indexName, fn);
    const index = new Map<string, Set<string>>();
    this.#indices.set(indexName, index);
    for (const [key, obj] of this.#items) addToIndex(index, key, fn(obj));
  }

  /** Stores `obj` under `key`, answering the object it replaced. */
  set(key: string, obj: T): T | undefined {
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) addToIndex(this.#indices.get(name)!, key, fn(obj));
    return old;
  }

  /** Removes `key`, answering the object it held. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return old;
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function addToIndex(index: Map<string, Set<string>>, key: string, values: string[]): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}
