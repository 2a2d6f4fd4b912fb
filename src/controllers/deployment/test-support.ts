import type { KubeObject } from '../../api/index.ts';
import { builtinRegistry } from '../../api/index.ts';
import { ApiError, FakeClock, WorkQueue } from '../../client/index.ts';
import { FakeStore } from '../test-support.ts';
import type { DeploymentClient, EventSink } from './context.ts';
import { DeploymentController } from './controller.ts';

// Helpers for this folder's tests only (not exported from index.ts): caches to seed, a
// client that records every call, and a controller over them. Builders: fixtures.ts.

export const NOW = Date.parse('2025-01-01T12:00:00Z');
export const silent = { info: () => {}, warn: () => {}, error: () => {} };
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export { FakeStore };

/** Bodies as tests read them: arbitrary JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Call {
  verb: 'get' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  name: string;
  subresource?: string;
  body?: Json;
  patchType?: string;
}

export interface ClientScript {
  /** Objects answered by `get`, by `resource/name`. */
  objects?: Record<string, KubeObject>;
  failCreate?: (body: KubeObject) => Error | undefined;
  failUpdate?: (body: KubeObject) => Error | undefined;
  /** A status write answers the stored object with the annotations it had (wharf today). */
  statusDropsMetadata?: boolean;
}

export function apiError(code: number, reason: string, message: string) {
  return new ApiError({ kind: 'Status', code, reason, message });
}

export function recordingClient(script: ClientScript = {}) {
  const calls: Call[] = [];
  let rv = 100;
  const client = {
    async get(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'get', resource: ref.resource, name });
      const obj = script.objects?.[`${ref.resource}/${name}`];
      if (!obj) throw apiError(404, 'NotFound', `${ref.resource} "${name}" not found`);
      return structuredClone(obj);
    },
    async create(ref: { resource: string }, _ns: string, body: KubeObject) {
      calls.push({
        verb: 'create',
        resource: ref.resource,
        name: body.metadata?.name ?? '',
        body: structuredClone(body),
      });
      const err = script.failCreate?.(body);
      if (err) throw err;
      const meta = {
        ...body.metadata,
        uid: `uid-${body.metadata?.name}`,
        resourceVersion: `${++rv}`,
      };
      return { ...structuredClone(body), metadata: { ...meta, creationTimestamp: iso(NOW) } };
    },
    async update(r: { resource: string }, _ns: string, name: string, body: KubeObject, o = {}) {
      const { subresource } = o as { subresource?: string };
      calls.push({
        verb: 'update',
        resource: r.resource,
        name,
        subresource,
        body: structuredClone(body),
      });
      const err = script.failUpdate?.(body);
      if (err) throw err;
      const out = structuredClone(body);
      out.metadata = { ...out.metadata, resourceVersion: `${++rv}` };
      if (subresource === 'status' && script.statusDropsMetadata) delete out.metadata.annotations;
      return out;
    },
    async patch(ref: { resource: string }, _ns: string, name: string, patch: unknown, t: string) {
      calls.push({
        verb: 'patch',
        resource: ref.resource,
        name,
        body: structuredClone(patch),
        patchType: t,
      });
      return { metadata: { resourceVersion: `${++rv}` } };
    },
    async delete(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'delete', resource: ref.resource, name });
      return {};
    },
  } as unknown as DeploymentClient;
  return { client, calls };
}

export function recordingEvents() {
  const events: string[] = [];
  const sink: EventSink = {
    event: (obj, type, reason, message) =>
      events.push(`${obj.kind}/${obj.metadata?.name} ${type} ${reason} ${message}`),
  };
  return { sink, events };
}

/** A controller over seeded caches, with a recording client, events and queue. */
export function setup(
  deployments: KubeObject[],
  replicaSets: KubeObject[] = [],
  pods: KubeObject[] = [],
  script: ClientScript = {},
) {
  const caches = {
    deployments: new FakeStore(deployments),
    replicaSets: new FakeStore(replicaSets),
    pods: new FakeStore(pods),
  };
  const { client, calls } = recordingClient(script);
  const { sink, events } = recordingEvents();
  const clock = new FakeClock(NOW);
  const queue = new WorkQueue<string>({ clock });
  const dc = new DeploymentController(client, builtinRegistry(), caches, silent, {
    clock,
    queue,
    recorder: sink,
  });
  return { dc, calls, events, caches, clock, queue };
}

/** `verb resource[/subresource] name` of each call. */
export const summary = (calls: Call[]) =>
  calls.map((c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${c.name}`);

/** Each ReplicaSet write as `name=replicas`. */
export const sizes = (calls: Call[]) =>
  calls
    .filter((c) => c.resource === 'replicasets' && (c.verb === 'update' || c.verb === 'create'))
    .map((c) => `${c.body.metadata.name}=${c.body.spec.replicas}`);

/** The last status written. */
export const lastStatus = (calls: Call[]) =>
  calls.filter((c) => c.subresource === 'status').at(-1)?.body.status;

/** Keys the queue would hand out now. */
export async function queued(queue: WorkQueue<string>): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = (await queue.get())!;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}
