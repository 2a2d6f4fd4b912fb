import type { KubeObject } from '../../api/index.ts';
import { builtinRegistry } from '../../api/index.ts';
import { ApiError, FakeClock, WorkQueue } from '../../client/index.ts';
import { FakeStore } from '../test-support.ts';
import type { EventSink, ReplicaSetClient } from './context.ts';
import { ReplicaSetController } from './controller.ts';
import type { ReplicaSetKind } from './kinds.ts';

// Helpers for this folder's tests only (not exported from index.ts): a cache to seed, a
// client that records every call, and builders for owners and pods.

export const NOW = Date.parse('2025-01-01T12:00:00Z');
export const silent = { info: () => {}, warn: () => {}, error: () => {} };

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export { FakeStore };

export interface Call {
  verb: 'get' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  name: string;
  subresource?: string;
  body?: unknown;
  patchType?: string;
}

export interface ClientScript {
  /** Objects answered by `get`, by `resource/name`. */
  objects?: Record<string, KubeObject>;
  /** Fails the n-th create (1-based) with the error returned. */
  failCreate?: (n: number) => Error | undefined;
  failDelete?: (name: string) => Error | undefined;
  failUpdate?: (n: number) => Error | undefined;
}

export function apiError(code: number, reason: string, message: string, causes?: object[]) {
  return new ApiError({ kind: 'Status', code, reason, message, details: { causes } });
}

export function recordingClient(script: ClientScript = {}) {
  const calls: Call[] = [];
  let creates = 0;
  let updates = 0;
  const client = {
    async get(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'get', resource: ref.resource, name });
      const obj = script.objects?.[`${ref.resource}/${name}`];
      if (!obj) throw apiError(404, 'NotFound', `${ref.resource} "${name}" not found`);
      return structuredClone(obj);
    },
    async create(ref: { resource: string }, _ns: string, body: KubeObject) {
      const n = ++creates;
      const meta = body.metadata ?? {};
      calls.push({ verb: 'create', resource: ref.resource, name: meta.generateName ?? '', body });
      const err = script.failCreate?.(n);
      if (err) throw err;
      return { ...body, metadata: { ...meta, name: `${meta.generateName}${n}`, uid: `uid-${n}` } };
    },
    async update(r: { resource: string }, _ns: string, name: string, body: KubeObject, o = {}) {
      const { subresource } = o as { subresource?: string };
      calls.push({ verb: 'update', resource: r.resource, name, subresource, body });
      const err = script.failUpdate?.(++updates);
      if (err) throw err;
      return body;
    },
    async patch(ref: { resource: string }, _ns: string, name: string, patch: unknown, t: string) {
      calls.push({ verb: 'patch', resource: ref.resource, name, body: patch, patchType: t });
      return {};
    },
    async delete(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'delete', resource: ref.resource, name });
      const err = script.failDelete?.(name);
      if (err) throw err;
      return {};
    },
  } as unknown as ReplicaSetClient;
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

export interface OwnerOptions {
  replicas?: number;
  minReadySeconds?: number;
  selector?: unknown;
  labels?: Record<string, string>;
  status?: Record<string, unknown>;
  generation?: number;
  deleting?: boolean;
  controller?: { kind: string; name: string; uid: string };
}

export function replicaSet(name: string, opts: OwnerOptions = {}): KubeObject {
  const labels = opts.labels ?? { app: 'web', tier: 'front' };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      generation: opts.generation ?? 1,
      resourceVersion: '10',
      ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}),
      ...(opts.controller
        ? {
            ownerReferences: [{ apiVersion: 'apps/v1', ...opts.controller, controller: true }],
          }
        : {}),
    },
    spec: {
      replicas: opts.replicas ?? 1,
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
      selector: opts.selector ?? { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels, annotations: { note: 'from-template' } },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '9'] }] },
      },
    },
    status: opts.status ?? { replicas: 0 },
  };
}

export function replicationController(name: string, opts: OwnerOptions = {}): KubeObject {
  const rs = replicaSet(name, { ...opts, selector: opts.selector ?? { app: 'web' } });
  return { ...rs, apiVersion: 'v1', kind: 'ReplicationController' };
}

export interface PodOptions {
  labels?: Record<string, string>;
  owner?: KubeObject;
  phase?: string;
  /** Ready since this time (ms); absent: not ready. */
  readySince?: number;
  node?: string;
  created?: number;
  restarts?: number;
  deleting?: boolean;
  annotations?: Record<string, string>;
}

export function pod(name: string, opts: PodOptions = {}): KubeObject {
  const owner = opts.owner;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '5',
      labels: opts.labels ?? { app: 'web', tier: 'front' },
      creationTimestamp: iso(opts.created ?? NOW - 3_600_000),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}),
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion!,
                kind: owner.kind!,
                name: owner.metadata!.name!,
                uid: owner.metadata!.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: { nodeName: opts.node ?? 'n1', containers: [{ name: 'c' }] },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [
        opts.readySince === undefined
          ? { type: 'Ready', status: 'False' }
          : { type: 'Ready', status: 'True', lastTransitionTime: iso(opts.readySince) },
      ],
      containerStatuses: [{ name: 'c', restartCount: opts.restarts ?? 0 }],
    },
  };
}

/** A controller over seeded caches, with a recording client, events and queue. */
export function setup(
  owners: KubeObject[],
  pods: KubeObject[],
  opts: { script?: ClientScript; kind?: ReplicaSetKind; burstReplicas?: number } = {},
) {
  const caches = { owners: new FakeStore(owners), pods: new FakeStore(pods) };
  const { client, calls } = recordingClient(opts.script);
  const { sink, events } = recordingEvents();
  const clock = new FakeClock(NOW);
  const queue = new WorkQueue<string>({ clock });
  const rsc = new ReplicaSetController(client, builtinRegistry(), caches, silent, {
    kind: opts.kind,
    clock,
    queue,
    recorder: sink,
    burstReplicas: opts.burstReplicas,
  });
  return { rsc, calls, events, caches, clock, queue };
}

/** `verb resource[/subresource] name` of each call. */
export const summary = (calls: Call[]) =>
  calls.map((c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${c.name}`);
export const creates = (calls: Call[]) => calls.filter((c) => c.verb === 'create');
/** The status a status write sent. */
export const statusOf = (call: Call | undefined) => (call?.body as KubeObject).status;

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
