import type { KubeObject } from '../../api/index.ts';
import { ApiError, objectKey } from '../../client/index.ts';
import { FakeStore } from '../test-support.ts';
import type { ServicePort } from './types.ts';

// Helpers for the tests of both endpoint controllers only (not exported from index.ts):
// builders for services, pods and nodes, and a client that records its calls and applies
// them to the caches given, so that a second pass sees what the first one wrote.

export { FakeStore };

export const T0 = Date.parse('2025-01-01T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const silent = { info: () => {}, warn: () => {}, error: () => {} };

export interface Call {
  verb: 'create' | 'update' | 'delete';
  resource: string;
  name: string;
  body?: KubeObject;
}

export function notFound(resource: string, name: string): ApiError {
  return new ApiError({
    kind: 'Status',
    code: 404,
    reason: 'NotFound',
    message: `${resource} "${name}" not found`,
  });
}

/**
 * A client whose writes are recorded and applied to `stores` (by resource), as an
 * informer would after the watch event. Created objects get `<generateName><n>`, a UID,
 * and every write a new resourceVersion. `fail` makes a call throw.
 */
export function recordingClient(
  stores: Record<string, FakeStore> = {},
  fail?: (call: Call) => Error | undefined,
) {
  const calls: Call[] = [];
  let rv = 1000;
  let created = 0;
  const stamp = (obj: KubeObject, namespace: string) => {
    obj.metadata = { ...obj.metadata, namespace, resourceVersion: String(++rv) };
    return obj;
  };
  const client = {
    async create(ref: { resource: string }, ns: string, body: KubeObject) {
      const meta = body.metadata ?? {};
      const call: Call = {
        verb: 'create',
        resource: ref.resource,
        name: meta.name ?? meta.generateName ?? '',
        body: structuredClone(body),
      };
      calls.push(call);
      const err = fail?.(call);
      if (err) throw err;
      const n = ++created;
      const obj = stamp(structuredClone(body), ns);
      obj.metadata!.name ??= `${meta.generateName}${n}`;
      obj.metadata!.uid = `uid-${ref.resource}-${n}`;
      stores[ref.resource]?.set(obj);
      return structuredClone(obj);
    },
    async update(ref: { resource: string }, ns: string, name: string, body: KubeObject) {
      const call: Call = {
        verb: 'update',
        resource: ref.resource,
        name,
        body: structuredClone(body),
      };
      calls.push(call);
      const err = fail?.(call);
      if (err) throw err;
      const obj = stamp(structuredClone(body), ns);
      // As the API server, an update without a UID keeps the stored one.
      obj.metadata!.uid ??= stores[ref.resource]?.get(`${ns}/${name}`)?.metadata?.uid;
      stores[ref.resource]?.set(obj);
      return structuredClone(obj);
    },
    async delete(ref: { resource: string }, ns: string, name: string) {
      const call: Call = { verb: 'delete', resource: ref.resource, name };
      calls.push(call);
      const err = fail?.(call);
      if (err) throw err;
      const store = stores[ref.resource];
      const obj = store?.get(`${ns}/${name}`);
      if (store && !obj) throw notFound(ref.resource, name);
      if (obj) store!.remove(obj);
      return obj ?? {};
    },
  };
  return { client: client as never, calls };
}

/** `verb resource/name` of each call, for compact assertions. */
export function summary(calls: Call[]): string[] {
  return calls.map((c) => `${c.verb} ${c.resource}/${c.name}`);
}

export interface ServiceOptions {
  selector?: Record<string, string> | null;
  ports?: ServicePort[];
  clusterIP?: string;
  ipFamilies?: string[];
  type?: string;
  labels?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
  deleting?: boolean;
}

export function service(name: string, opts: ServiceOptions = {}): KubeObject {
  const clusterIP = opts.clusterIP ?? '10.96.0.10';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: iso(T0 - 3_600_000),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.deleting ? { deletionTimestamp: iso(T0) } : {}),
    },
    spec: {
      type: opts.type ?? 'ClusterIP',
      ...(opts.selector === null ? {} : { selector: opts.selector ?? { app: 'web' } }),
      clusterIP,
      ipFamilies: opts.ipFamilies ?? [clusterIP.includes(':') ? 'IPv6' : 'IPv4'],
      ports: opts.ports ?? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      ...(opts.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    },
  };
}

export interface PodOptions {
  /** null: no IP yet. Default 10.0.0.<n> from the name's digits. */
  ip?: string | string[] | null;
  ready?: boolean;
  /** When the Ready condition last changed. */
  readyAt?: number;
  labels?: Record<string, string>;
  node?: string;
  phase?: string;
  deleting?: boolean;
  hostname?: string;
  subdomain?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  namespace?: string;
}

export function pod(name: string, opts: PodOptions = {}): KubeObject {
  const ips =
    opts.ip === null ? [] : Array.isArray(opts.ip) ? opts.ip : [opts.ip ?? defaultIP(name)];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'ns',
      uid: `uid-${name}`,
      resourceVersion: '20',
      labels: opts.labels ?? { app: 'web' },
      ...(opts.deleting ? { deletionTimestamp: iso(T0), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      nodeName: opts.node ?? 'node-a',
      ...(opts.hostname ? { hostname: opts.hostname } : {}),
      ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
      containers: [
        {
          name: 'c',
          image: 'nginx',
          ports: opts.ports ?? [{ name: 'web', containerPort: 8080, protocol: 'TCP' }],
        },
      ],
    },
    status: {
      phase: opts.phase ?? 'Running',
      ...(ips.length > 0 ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
      conditions: [
        {
          type: 'Ready',
          status: opts.ready === false ? 'False' : 'True',
          lastTransitionTime: iso(opts.readyAt ?? T0 - 60_000),
        },
      ],
    },
  };
}

function defaultIP(name: string): string {
  const n = Number(/\d+/.exec(name)?.[0] ?? '1');
  return `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

export function node(name: string, zone?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: zone ? { 'topology.kubernetes.io/zone': zone } : {},
    },
  };
}

export const key = (obj: KubeObject) => objectKey(obj);

/** Takes every key waiting in the queue. */
export async function queued(queue: {
  len(): number;
  get(): Promise<string | undefined>;
  done(item: string): void;
}): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const item = (await queue.get())!;
    queue.done(item);
    keys.push(item);
  }
  return keys.sort();
}
