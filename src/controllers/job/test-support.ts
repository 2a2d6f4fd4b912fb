import type { KubeObject } from '../../api/index.ts';
import { ApiError, objectKey, type StoreReader } from '../../client/index.ts';
import type { JobClient, Recorder } from './context.ts';

// Helpers for the tests of the Job and CronJob controllers only (not exported from
// index.ts): a cache to seed, a client that records the calls made, a recording recorder.

export const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** A StoreReader over a mutable map, for tests that play the informer between passes. */
export function seededStore(objs: KubeObject[] = []) {
  const byKey = new Map(objs.map((o) => [objectKey(o), o]));
  const store: StoreReader = {
    get: (key) => byKey.get(key),
    list: () => [...byKey.values()],
    keys: () => [...byKey.keys()],
    get size() {
      return byKey.size;
    },
    byIndex: (_index, ns) => [...byKey.values()].filter((o) => o.metadata?.namespace === ns),
    addIndexer: () => {},
  };
  return {
    store,
    set: (obj: KubeObject) => byKey.set(objectKey(obj), obj),
    remove: (key: string) => byKey.delete(key),
  };
}

export interface Call {
  verb: 'get' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  name: string;
  subresource?: string;
  body?: KubeObject;
  patch?: unknown;
  options?: unknown;
}

/**
 * A client that records every call. `objects` (by `resource/name`) answer gets; creates
 * name objects from generateName with a counter and give them a uid; `fail` makes a call
 * throw the ApiError-shaped error it returns.
 */
export function recordingClient(
  objects: Record<string, KubeObject> = {},
  fail: (call: Call) => Error | undefined = () => undefined,
) {
  const calls: Call[] = [];
  let counter = 0;
  let rv = 100;
  const record = (call: Call) => {
    calls.push(call);
    const err = fail(call);
    if (err) throw err;
  };
  const client = {
    async get(ref: { resource: string }, _ns: string, name: string) {
      record({ verb: 'get', resource: ref.resource, name });
      const obj = objects[`${ref.resource}/${name}`];
      if (!obj) throw notFound(name);
      return structuredClone(obj);
    },
    async create(ref: { resource: string }, _ns: string, body: KubeObject) {
      const name = body.metadata?.name ?? `${body.metadata?.generateName}${String(++counter)}`;
      record({ verb: 'create', resource: ref.resource, name, body });
      return {
        ...structuredClone(body),
        metadata: { ...body.metadata, name, uid: `uid-${name}`, resourceVersion: String(++rv) },
      };
    },
    async update(
      ref: { resource: string },
      _ns: string,
      name: string,
      body: KubeObject,
      opts: { subresource?: string } = {},
    ) {
      record({
        verb: 'update',
        resource: ref.resource,
        name,
        subresource: opts.subresource,
        body: structuredClone(body),
      });
      return {
        ...structuredClone(body),
        metadata: { ...body.metadata, resourceVersion: String(++rv) },
      };
    },
    async patch(
      ref: { resource: string },
      _ns: string,
      name: string,
      patch: unknown,
      type: string,
    ) {
      record({ verb: 'patch', resource: ref.resource, name, patch, options: type });
      return { metadata: { name } };
    },
    async delete(ref: { resource: string }, _ns: string, name: string, opts: unknown) {
      record({ verb: 'delete', resource: ref.resource, name, options: opts });
      return { kind: 'Status' };
    },
  } as unknown as JobClient;
  return { client, calls };
}

export function notFound(name: string): Error {
  return apiError(404, 'NotFound', `"${name}" not found`);
}

export function apiError(code: number, reason: string, message: string): Error {
  return new ApiError({ kind: 'Status', status: 'Failure', code, reason, message });
}

export function recordingRecorder() {
  const events: string[] = [];
  const recorder: Recorder = {
    event: (_obj, type, reason, message) => events.push(`${type} ${reason} ${message}`),
  };
  return { recorder, events };
}

/** `verb resource/name[/subresource]` of each call: the shape most assertions need. */
export function summary(calls: Call[]): string[] {
  return calls.map(
    (c) => `${c.verb} ${c.resource}/${c.name}${c.subresource ? `/${c.subresource}` : ''}`,
  );
}
