import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject, OwnerReference } from '../../api/index.ts';
import { ApiError, type ResourceRef } from '../../client/index.ts';
import { claimObjects, type ClaimOptions } from './index.ts';

const OWNERS: ResourceRef = { group: 'apps', version: 'v1', resource: 'owners', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const FINALIZER = 'example.com/tracking';
const CODES = { NotFound: 404, Invalid: 422, Conflict: 409 };

function refTo(name: string, uid = `uid-${name}`): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Owner', name, uid, controller: true };
}

function owner(opts: { deleting?: boolean; uid?: string } = {}): KubeObject {
  return {
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: opts.uid ?? 'uid-web',
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
  };
}

interface PodOpts {
  app?: string;
  owner?: string;
  deleting?: boolean;
  namespace?: string;
  finalizers?: string[];
}

function pod(name: string, opts: PodOpts = {}): KubeObject {
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? 'ns',
      uid: `uid-${name}`,
      labels: { app: opts.app ?? 'web' },
      ...(opts.owner ? { ownerReferences: [refTo(opts.owner)] } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
  };
}

function apiError(code: number, reason: string): ApiError {
  return new ApiError({ kind: 'Status', code, reason, message: reason });
}

interface Script {
  /** What the owner's fresh read returns or throws. */
  fresh?: KubeObject | Error;
  /** Errors of the patches, by object name. */
  patchErrors?: Record<string, Error>;
  finalizers?: string[];
  owner?: KubeObject;
}

function setup(script: Script = {}) {
  const calls: { verb: string; name: string; body?: unknown }[] = [];
  const client = {
    async get(_ref: ResourceRef, _ns: string, name: string) {
      calls.push({ verb: 'get', name });
      const fresh = script.fresh ?? owner();
      if (fresh instanceof Error) throw fresh;
      return fresh;
    },
    async patch(_ref: ResourceRef, _ns: string, name: string, body: unknown) {
      calls.push({ verb: 'patch', name, body });
      const err = script.patchErrors?.[name];
      if (err) throw err;
      return {};
    },
  } as unknown as ClaimOptions['client'];
  const opts: ClaimOptions = {
    client,
    owner: script.owner ?? owner(),
    ownerResource: OWNERS,
    ownerKind: 'Owner',
    controllerRef: refTo('web'),
    resource: PODS,
    kind: 'Pod',
    match: (obj) => obj.metadata?.labels?.app === 'web',
    ...(script.finalizers ? { finalizers: script.finalizers } : {}),
  };
  return { opts, calls, summary: () => calls.map((c) => `${c.verb} ${c.name}`) };
}

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata?.name);

describe('claimObjects', () => {
  const cases: {
    name: string;
    script?: Script;
    objects: KubeObject[];
    claimed: string[];
    calls: string[];
    error?: RegExp;
  }[] = [
    {
      name: 'keeps its own that still match, even while being deleted',
      script: { owner: owner({ deleting: true }) },
      objects: [pod('a', { owner: 'web' })],
      claimed: ['a'],
      calls: [],
    },
    {
      name: 'releases its own that stopped matching',
      objects: [pod('a', { owner: 'web', app: 'db' })],
      claimed: [],
      calls: ['patch a'],
    },
    {
      name: 'does not release while the owner is being deleted',
      script: { owner: owner({ deleting: true }) },
      objects: [pod('a', { owner: 'web', app: 'db' })],
      claimed: [],
      calls: [],
    },
    {
      name: 'adopts a matching orphan after one fresh read of the owner',
      objects: [pod('a'), pod('b')],
      claimed: ['a', 'b'],
      calls: ['get web', 'patch a', 'patch b'],
    },
    {
      name: 'adopts nothing while the owner is being deleted',
      script: { owner: owner({ deleting: true }) },
      objects: [pod('a')],
      claimed: [],
      calls: [],
    },
    {
      name: 'adopts no orphan that is being deleted, does not match or is elsewhere',
      objects: [
        pod('a', { deleting: true }),
        pod('b', { app: 'db' }),
        pod('c', { namespace: 'x' }),
      ],
      claimed: [],
      calls: [],
    },
    {
      name: 'leaves objects controlled by others alone',
      objects: [pod('a', { owner: 'other' }), pod('b', { owner: 'other', app: 'db' })],
      claimed: [],
      calls: [],
    },
    {
      name: 'adopts nothing when the fresh owner is being deleted',
      script: { fresh: owner({ deleting: true }) },
      objects: [pod('a'), pod('b')],
      claimed: [],
      calls: ['get web'],
      error: /^\[can't adopt Pod ns\/a \(uid-a\): ns\/web has just been deleted at/,
    },
    {
      name: 'adopts nothing when the owner was replaced under the same name',
      script: { fresh: owner({ uid: 'uid-new' }) },
      objects: [pod('a')],
      claimed: [],
      calls: ['get web'],
      error: /^can't adopt Pod ns\/a \(uid-a\): original Owner ns\/web is gone: got uid uid-new/,
    },
    {
      name: 'fails adoption, not silently, when the owner is gone',
      script: { fresh: apiError(404, 'NotFound') },
      objects: [pod('a')],
      claimed: [],
      calls: ['get web'],
      error: /^can't adopt Pod ns\/a \(uid-a\): NotFound$/,
    },
    {
      name: 'skips an orphan gone before its adoption',
      script: { patchErrors: { a: apiError(404, 'NotFound') } },
      objects: [pod('a'), pod('b')],
      claimed: ['b'],
      calls: ['get web', 'patch a', 'patch b'],
    },
    {
      name: 'fails on an adoption conflict, after trying the rest',
      script: { patchErrors: { a: apiError(409, 'Conflict') } },
      objects: [pod('a'), pod('b')],
      claimed: ['b'],
      calls: ['get web', 'patch a', 'patch b'],
      error: /^Conflict$/,
    },
    ...(['NotFound', 'Invalid', 'Conflict'] as const).map((reason) => ({
      name: `ignores ${reason} on a release: gone or re-created`,
      script: { patchErrors: { a: apiError(CODES[reason], reason) } },
      objects: [pod('a', { owner: 'web', app: 'db' })],
      claimed: [],
      calls: ['patch a'],
    })),
    {
      name: 'fails on any other release error',
      script: { patchErrors: { a: apiError(500, 'InternalError') } },
      objects: [pod('a', { owner: 'web', app: 'db' }), pod('b', { owner: 'web' })],
      claimed: [],
      calls: ['patch a'],
      error: /^InternalError$/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { opts, summary } = setup(c.script);
      const result = claimObjects(opts, c.objects);
      if (c.error) await assert.rejects(result, { message: c.error });
      else assert.deepEqual(names(await result), c.claimed);
      assert.deepEqual(summary(), c.calls);
    });
  }

  it('patches with the controller reference and the UID', async () => {
    const { opts, calls } = setup();
    await claimObjects(opts, [pod('a'), pod('b', { owner: 'web', app: 'db' })]);
    assert.deepEqual(calls[1]?.body, {
      metadata: { ownerReferences: [refTo('web')], uid: 'uid-a' },
    });
    assert.deepEqual(calls[2]?.body, {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-b' },
    });
  });

  it('adds the finalizers on adoption and removes those present on release', async () => {
    const { opts, calls } = setup({ finalizers: [FINALIZER] });
    const released = [
      pod('b', { owner: 'web', app: 'db', finalizers: [FINALIZER] }),
      pod('c', { owner: 'web', app: 'db' }),
    ];
    await claimObjects(opts, [pod('a'), ...released]);
    assert.deepEqual(calls[1]?.body, {
      metadata: { ownerReferences: [refTo('web')], uid: 'uid-a', finalizers: [FINALIZER] },
    });
    assert.deepEqual(calls[2]?.body, {
      metadata: {
        ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }],
        uid: 'uid-b',
        '$deleteFromPrimitiveList/finalizers': [FINALIZER],
      },
    });
    assert.deepEqual(calls[3]?.body, {
      metadata: { ownerReferences: [{ $patch: 'delete', uid: 'uid-web' }], uid: 'uid-c' },
    });
  });
});
