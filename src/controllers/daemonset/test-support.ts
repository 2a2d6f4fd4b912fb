import type { KubeObject } from '../../api/index.ts';
import { builtinRegistry } from '../../api/index.ts';
import { ApiError, FakeClock, WorkQueue } from '../../client/index.ts';
import { FakeStore } from '../test-support.ts';
import type { DaemonSetClient, EventSink } from './context.ts';
import { DaemonSetController } from './controller.ts';
import { computeHash } from './hash.ts';
import { revisionData } from './history.ts';
import { targetNodeName } from './placement.ts';
import { newControllerRef, REVISION_HASH_LABEL, specOf } from './types.ts';

// Helpers for this folder's tests only (not exported from index.ts): caches to seed, a
// client that records every call, and builders for nodes, DaemonSets, pods and revisions.

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
  failCreate?: (resource: string, n: number) => Error | undefined;
  failDelete?: (name: string) => Error | undefined;
}

export function apiError(code: number, reason: string, message: string) {
  return new ApiError({ kind: 'Status', code, reason, message });
}

export function recordingClient(script: ClientScript = {}) {
  const calls: Call[] = [];
  let creates = 0;
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
      const name = meta.name ?? `${meta.generateName}${n}`;
      calls.push({
        verb: 'create',
        resource: ref.resource,
        name: meta.name ?? meta.generateName!,
        body,
      });
      const err = script.failCreate?.(ref.resource, n);
      if (err) throw err;
      return { ...body, metadata: { ...meta, name, uid: `uid-${name}` } };
    },
    async update(r: { resource: string }, _ns: string, name: string, body: KubeObject, o = {}) {
      const { subresource } = o as { subresource?: string };
      calls.push({ verb: 'update', resource: r.resource, name, subresource, body });
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
  } as unknown as DaemonSetClient;
  return { client, calls };
}

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

export function node(name: string, opts: NodeOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: opts.labels ?? {} },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export interface DaemonSetOptions {
  image?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: object[];
  hostNetwork?: boolean;
  selector?: object;
  updateStrategy?: object;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  generation?: number;
  status?: Record<string, unknown>;
}

export function daemonSet(name: string, opts: DaemonSetOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      generation: opts.generation ?? 1,
      resourceVersion: '10',
      annotations: { note: 'ds' },
    },
    spec: {
      selector: opts.selector ?? { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
          ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
          ...(opts.hostNetwork ? { hostNetwork: true } : {}),
          containers: [{ name: 'c', image: opts.image ?? 'busybox:1' }],
        },
      },
      updateStrategy: opts.updateStrategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
      },
      minReadySeconds: opts.minReadySeconds ?? 0,
      revisionHistoryLimit: opts.revisionHistoryLimit ?? 10,
    },
    status: opts.status ?? {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    },
  };
}

/** The template's pod spec, to change in place (test objects are not cached). */
export const templateSpec = (ds: KubeObject) => specOf(ds).template.spec!;

/** The hash the controller gives `ds`'s current template. */
export const hashFor = (ds: KubeObject) => computeHash(specOf(ds).template);

/** A ControllerRevision of `ds`'s current template, as the controller makes it. */
export function revisionFor(ds: KubeObject, revision = 1, hash = hashFor(ds)): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata?.name}-${hash}`,
      namespace: 'ns',
      uid: `uid-cr-${hash}`,
      resourceVersion: '3',
      labels: { ...specOf(ds).template.metadata?.labels, [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(ds)],
    },
    data: revisionData(ds),
    revision,
  };
}

export interface PodOptions {
  /** Bound to this node. */
  node?: string;
  /** Not bound: meant for this node through its node affinity. */
  target?: string;
  hash?: string;
  phase?: string;
  /** Ready since this time (ms); absent: not ready. */
  readySince?: number;
  created?: number;
  deleting?: boolean;
  labels?: Record<string, string>;
  orphan?: boolean;
}

export function pod(name: string, ds: KubeObject, opts: PodOptions = {}): KubeObject {
  const affinity = opts.target
    ? {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: [opts.target] }] },
            ],
          },
        },
      }
    : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '5',
      creationTimestamp: iso(opts.created ?? NOW - 3_600_000),
      labels: opts.labels ?? {
        app: ds.metadata!.name!,
        [REVISION_HASH_LABEL]: opts.hash ?? hashFor(ds),
      },
      ...(opts.deleting ? { deletionTimestamp: iso(NOW) } : {}),
      ...(opts.orphan ? {} : { ownerReferences: [newControllerRef(ds)] }),
    },
    spec: {
      ...(opts.target ? { affinity } : { nodeName: opts.node ?? 'n1' }),
      containers: [{ name: 'c' }],
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [
        opts.readySince === undefined
          ? { type: 'Ready', status: 'False' }
          : { type: 'Ready', status: 'True', lastTransitionTime: iso(opts.readySince) },
      ],
    },
  };
}

/** A controller over seeded caches, with a recording client, events and queue. */
export function setup(
  seed: {
    daemonSets?: KubeObject[];
    nodes?: KubeObject[];
    pods?: KubeObject[];
    revisions?: KubeObject[];
  },
  opts: { script?: ClientScript; burstReplicas?: number } = {},
) {
  const caches = {
    daemonSets: new FakeStore(seed.daemonSets),
    nodes: new FakeStore(seed.nodes),
    pods: new FakeStore(seed.pods),
    revisions: new FakeStore(seed.revisions),
  };
  const { client, calls } = recordingClient(opts.script);
  const events: string[] = [];
  const recorder: EventSink = {
    event: (obj, type, reason, message) =>
      events.push(`${obj.kind}/${obj.metadata?.name} ${type} ${reason} ${message}`),
  };
  const clock = new FakeClock(NOW);
  const queue = new WorkQueue<string>({ clock });
  const dsc = new DaemonSetController(client, builtinRegistry(), caches, silent, {
    clock,
    queue,
    recorder,
    burstReplicas: opts.burstReplicas,
  });
  return { dsc, calls, events, caches, clock, queue };
}

/** `verb resource[/subresource] name` of each call. */
export const summary = (calls: Call[]) =>
  calls.map((c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${c.name}`);
/** The node each created pod is meant for. */
export const createdOn = (calls: Call[]) =>
  calls
    .filter((c) => c.verb === 'create' && c.resource === 'pods')
    .map((c) => targetNodeName(c.body as KubeObject));
export const deleted = (calls: Call[]) =>
  calls.filter((c) => c.verb === 'delete' && c.resource === 'pods').map((c) => c.name);
/** The status the last status write sent. */
export const lastStatus = (calls: Call[]) =>
  (calls.filter((c) => c.subresource === 'status').at(-1)?.body as KubeObject | undefined)?.status;

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
