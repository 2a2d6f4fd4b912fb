import { rfc3339 } from '../../api/index.ts';
import type { KubeObject } from '../../api/index.ts';
import {
  ApiError,
  microTime,
  objectKey,
  type IndexFunc,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import type { EventSink } from './pods.ts';

// Helpers for the tests of the node controllers (and the pod GC) only; not exported from
// index.ts: caches to seed and change between passes, a client that records its calls and
// keeps the objects it wrote, and a recording event sink.

export const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** A StoreReader over a mutable map whose indexes honour the index functions given. */
export function seededStore(objs: KubeObject[] = []) {
  const byKey = new Map(objs.map((o) => [objectKey(o), o]));
  const indexers = new Map<string, IndexFunc<KubeObject>>();
  const store: StoreReader = {
    get: (key) => byKey.get(key),
    list: () => [...byKey.values()],
    keys: () => [...byKey.keys()],
    get size() {
      return byKey.size;
    },
    byIndex: (index, value) => {
      const fn = indexers.get(index);
      if (!fn) throw new Error(`no indexer named ${index}`);
      return [...byKey.values()].filter((o) => fn(o).includes(value));
    },
    addIndexer: (index, fn) => void indexers.set(index, fn),
  };
  return {
    store,
    set: (obj: KubeObject) => byKey.set(objectKey(obj), obj),
    remove: (key: string) => byKey.delete(key),
  };
}

export interface Call {
  verb: 'get' | 'update' | 'patch' | 'delete';
  resource: string;
  name: string;
  subresource?: string;
  body?: unknown;
  options?: unknown;
}

export function notFound(name: string): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: `"${name}" not found`,
    reason: 'NotFound',
    code: 404,
  });
}

/**
 * A client over `objects` (by `resource/name`): gets answer copies; updates and merge
 * patches of spec.taints / metadata.labels / status are applied so a later get sees them;
 * deletes remove. Every call is recorded.
 */
export function recordingClient(objects: Record<string, KubeObject> = {}) {
  const calls: Call[] = [];
  let rv = 100;
  const bump = (obj: KubeObject) => {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++rv) };
    return obj;
  };
  const client = {
    async get(ref: { resource: string }, _ns: string, name: string) {
      calls.push({ verb: 'get', resource: ref.resource, name });
      const obj = objects[`${ref.resource}/${name}`];
      if (!obj) throw notFound(name);
      return structuredClone(obj);
    },
    async update(
      ref: { resource: string },
      _ns: string,
      name: string,
      body: KubeObject,
      opts: { subresource?: string } = {},
    ) {
      calls.push({
        verb: 'update',
        resource: ref.resource,
        name,
        subresource: opts.subresource,
        body,
      });
      const key = `${ref.resource}/${name}`;
      if (!objects[key]) throw notFound(name);
      objects[key] = bump(structuredClone(body));
      return structuredClone(objects[key]);
    },
    async patch(
      ref: { resource: string },
      _ns: string,
      name: string,
      patch: Record<string, Record<string, unknown>>,
      type: string,
      opts: { subresource?: string } = {},
    ) {
      calls.push({
        verb: 'patch',
        resource: ref.resource,
        name,
        subresource: opts.subresource,
        body: patch,
        options: type,
      });
      const key = `${ref.resource}/${name}`;
      const obj = objects[key];
      if (!obj) throw notFound(name);
      const next = structuredClone(obj) as Record<string, Record<string, unknown>>;
      if (patch.spec && 'taints' in patch.spec) {
        next.spec = { ...next.spec, taints: patch.spec.taints ?? undefined };
      }
      if (patch.metadata?.labels) {
        next.metadata = {
          ...next.metadata,
          labels: { ...(next.metadata?.labels as object), ...(patch.metadata.labels as object) },
        };
      }
      if (patch.status) next.status = { ...next.status, ...patch.status };
      objects[key] = bump(next as KubeObject);
      return structuredClone(objects[key]);
    },
    async delete(ref: { resource: string }, _ns: string, name: string, options?: unknown) {
      calls.push({ verb: 'delete', resource: ref.resource, name, options });
      const key = `${ref.resource}/${name}`;
      if (!objects[key]) throw notFound(name);
      const obj = objects[key];
      delete objects[key];
      return obj;
    },
  };
  // Typed as the RestClient methods it stands in for.
  return {
    client: client as unknown as Pick<RestClient, 'get' | 'update' | 'patch' | 'delete'>,
    calls,
    objects,
  };
}

export function recordingEvents() {
  const events: string[] = [];
  const recorder: EventSink = {
    event(obj, type, reason, message) {
      const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
      events.push(`${obj.kind}/${ns}${obj.metadata?.name} ${type} ${reason} ${message}`);
    },
  };
  return { recorder, events };
}

export const T0 = Date.parse('2025-01-01T12:00:00Z');

export function node(
  name: string,
  opts: {
    ready?: 'True' | 'False' | 'Unknown' | null;
    heartbeat?: number;
    taints?: object[];
    labels?: Record<string, string>;
    unschedulable?: boolean;
  } = {},
): KubeObject {
  const heartbeat = rfc3339(opts.heartbeat ?? T0 - 60_000);
  const conditions =
    opts.ready === null
      ? []
      : ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
          type,
          status: type === 'Ready' ? (opts.ready ?? 'True') : 'False',
          reason: type === 'Ready' ? 'KubeletReady' : `KubeletHasNo${type}`,
          message: type === 'Ready' ? 'kubelet is posting ready status' : 'fine',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: rfc3339(T0 - 3_600_000),
        }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '10',
      creationTimestamp: rfc3339(T0 - 3_600_000),
      labels: opts.labels ?? {},
    },
    spec: {
      ...(opts.taints ? { taints: opts.taints } : {}),
      ...(opts.unschedulable ? { unschedulable: true } : {}),
    },
    status: { conditions },
  };
}

export function lease(nodeName: string, renewedAt: number): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: 'kube-node-lease', resourceVersion: String(renewedAt) },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microTime(renewedAt) },
  };
}

export function pod(
  name: string,
  nodeName: string | undefined,
  opts: {
    tolerations?: object[];
    ready?: boolean;
    phase?: string;
    reason?: string;
    created?: number;
    deleting?: boolean;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '20',
      creationTimestamp: rfc3339(opts.created ?? T0 - 600_000),
      ...(opts.deleting ? { deletionTimestamp: rfc3339(T0), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', image: 'busybox' }],
      tolerations: opts.tolerations ?? [],
    },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.reason ? { reason: opts.reason } : {}),
      conditions: [
        {
          type: 'Ready',
          status: opts.ready === false ? 'False' : 'True',
          lastProbeTime: null,
          lastTransitionTime: rfc3339(T0 - 500_000),
        },
      ],
    },
  };
}

/** `verb resource/name[/subresource]` of each call, for compact assertions. */
export function summary(calls: Call[]): string[] {
  return calls.map(
    (c) => `${c.verb} ${c.resource}/${c.name}${c.subresource ? `/${c.subresource}` : ''}`,
  );
}
