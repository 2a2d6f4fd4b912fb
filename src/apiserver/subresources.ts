import { rfc3339 } from '../api/index.ts';
import type { KubeObject, ResourceType } from '../api/index.ts';
import {
  formatLabelSelector,
  selectorFromSpec,
  type LabelSelectorSpec,
} from '../api/selectors/index.ts';
import { StatusError, badRequest, conflict, MODIFIED, successStatus } from './errors.ts';
import { sendJson } from './http/respond.ts';
import { applyPatchRequest, applyPatchTo, PATCH_TYPES, type PatchType } from './patch/index.ts';
import { mediaType, parseJsonValue, readBody } from './http/body.ts';
import type { RequestScope } from './resource-handler.ts';
import { serveEviction } from './eviction.ts';
import { answerTokenRequest } from './serviceaccount/index.ts';
import type { NodeProxy } from './node-proxy.ts';
import type { ResourceStore, WriteContext } from './storage/resource-store.ts';

// Subresources: status and ephemeralcontainers (a slice of the object with its own
// endpoint), scale (a Scale view of replicas), binding and eviction (actions on pods),
// finalize (namespaces), token (service accounts). Streaming ones (log, exec, attach,
// portforward) are proxied to the node agent (node-proxy.ts); pods/proxy is not served.

export interface SubresourceCall {
  rs: ResourceStore;
  type: ResourceType;
  scope: RequestScope;
  ctx: WriteContext;
  readObject: () => Promise<KubeObject>;
  /** The core/v1 store of another resource. */
  storeOf: (resource: string) => ResourceStore;
  nodeProxy?: NodeProxy;
}

const STREAMING = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

export async function handleSubresource(call: SubresourceCall): Promise<void> {
  const { rs, type, scope, ctx } = call;
  const { info, res } = scope;
  const sub = info.subresource.split('/')[0]!;
  if (!type.subresources.includes(sub as never) || !info.name) {
    throw new StatusError('NotFound', 'the server could not find the requested resource');
  }
  const ns = info.namespace;
  if (sub === 'log' && info.verb === 'get' && call.nodeProxy) {
    return call.nodeProxy.serveLog(ns, info.name, scope.query, res);
  }
  if (STREAMING.has(sub) && sub !== 'proxy' && sub !== 'log') {
    throw new StatusError('BadRequest', 'Upgrade request required');
  }
  if (STREAMING.has(sub)) {
    const pod = await rs.get(ns, info.name);
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    throw new StatusError(
      'BadRequest',
      node
        ? `${sub} for pod ${info.name} needs the node agent on ${node}, which does not serve it yet`
        : `pod ${info.name} is not scheduled to a node yet, so it has no ${sub === 'log' ? 'logs' : sub}`,
    );
  }
  switch (sub) {
    case 'status':
    case 'ephemeralcontainers':
      return sliceEndpoint(call, sub);
    case 'scale':
      return scaleEndpoint(call);
    case 'binding':
      if (info.verb !== 'create') break;
      return bind(call);
    case 'eviction': {
      if (info.verb !== 'create') break;
      return serveEviction(call);
    }
    case 'finalize': {
      if (info.verb !== 'update') break;
      const body = await call.readObject();
      const object = await rs.guaranteedUpdate(
        ns,
        info.name,
        (current) => ({
          ...current,
          spec: {
            ...(current.spec as object),
            finalizers: (body.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [],
          },
        }),
        ctx,
      );
      return sendJson(res, 200, object);
    }
    case 'token':
      if (info.verb !== 'create') break;
      return issueToken(call);
  }
  throw new StatusError(
    'MethodNotAllowed',
    `${info.verb} is not supported on ${type.resource}/${sub}`,
  );
}

/** GET/PUT/PATCH of one part of an object: `status`, or `spec.ephemeralContainers`. */
async function sliceEndpoint(
  call: SubresourceCall,
  sub: 'status' | 'ephemeralcontainers',
): Promise<void> {
  const { rs, scope, ctx } = call;
  const { info, res } = scope;
  if (info.verb === 'get') return sendJson(res, 200, await rs.get(info.namespace, info.name));
  if (info.verb === 'update') {
    const body = await call.readObject();
    if (sub === 'status') {
      const { object } = await rs.update(info.namespace, info.name, body, ctx, 'status');
      return sendJson(res, 200, object);
    }
    const wanted = body.metadata?.resourceVersion;
    const object = await rs.guaranteedUpdate(
      info.namespace,
      info.name,
      (current) => {
        if (wanted && wanted !== current.metadata?.resourceVersion)
          throw conflict(rs.type.group, rs.type.resource, info.name, MODIFIED);
        const spec = {
          ...(current.spec as object),
          ephemeralContainers: (body.spec as { ephemeralContainers?: unknown })
            ?.ephemeralContainers,
        };
        return { ...current, spec };
      },
      ctx,
    );
    return sendJson(res, 200, object);
  }
  if (info.verb === 'patch') {
    if (sub === 'status') {
      const { object } = await applyPatchRequest(rs, scope, ctx, 'status');
      return sendJson(res, 200, object);
    }
    const patchType = mediaType(scope.req) as PatchType;
    if (!PATCH_TYPES.includes(patchType) || patchType === 'application/apply-patch+yaml') {
      throw new StatusError(
        'UnsupportedMediaType',
        `unsupported patch type ${patchType} for ephemeralcontainers`,
      );
    }
    const patch = parseJsonValue(await readBody(scope.req), 'patch');
    const object = await rs.guaranteedUpdate(
      info.namespace,
      info.name,
      (current) => {
        const patched = applyPatchTo(current, patchType, patch, rs);
        const spec = {
          ...(current.spec as object),
          ephemeralContainers: (patched.spec as { ephemeralContainers?: unknown })
            ?.ephemeralContainers,
        };
        return { ...current, spec };
      },
      ctx,
    );
    return sendJson(res, 200, object);
  }
  throw new StatusError(
    'MethodNotAllowed',
    `${info.verb} is not supported on ${rs.type.resource}/${sub}`,
  );
}

function getPath(obj: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

/** The autoscaling/v1 Scale view of an object with replicas. */
export function scaleOf(type: ResourceType, obj: KubeObject): KubeObject {
  const spec = type.scale!;
  const selectorSpec = (obj.spec as { selector?: unknown } | undefined)?.selector;
  let selector = '';
  if (selectorSpec && typeof selectorSpec === 'object') {
    const asSpec: LabelSelectorSpec =
      'matchLabels' in selectorSpec || 'matchExpressions' in selectorSpec
        ? (selectorSpec as LabelSelectorSpec)
        : { matchLabels: selectorSpec as Record<string, string> };
    selector = formatLabelSelector(selectorFromSpec(asSpec));
  }
  const m = obj.metadata ?? {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(getPath(obj, spec.specReplicas) ?? 0) },
    status: {
      replicas: Number(getPath(obj, spec.statusReplicas) ?? 0),
      ...(selector ? { selector } : {}),
    },
  };
}

async function scaleEndpoint(call: SubresourceCall): Promise<void> {
  const { rs, type, scope, ctx } = call;
  const { info, res, req } = scope;
  if (!type.scale)
    throw new StatusError('NotFound', 'the server could not find the requested resource');
  const ns = info.namespace;
  if (info.verb === 'get') return sendJson(res, 200, scaleOf(type, await rs.get(ns, info.name)));
  if (info.verb !== 'update' && info.verb !== 'patch') {
    throw new StatusError(
      'MethodNotAllowed',
      `${info.verb} is not supported on ${type.resource}/scale`,
    );
  }
  let body: KubeObject | undefined;
  let patch: unknown;
  const patchType = mediaType(req) as PatchType;
  if (info.verb === 'update') body = await call.readObject();
  else {
    if (!PATCH_TYPES.includes(patchType) || patchType === 'application/apply-patch+yaml') {
      throw new StatusError(
        'UnsupportedMediaType',
        `unsupported patch type ${patchType} for scale`,
      );
    }
    patch = parseJsonValue(await readBody(req), 'patch');
  }
  const object = await rs.guaranteedUpdate(
    ns,
    info.name,
    (current) => {
      const scale = scaleOf(type, current);
      const wanted = body ?? applyPatchTo(scale, patchType, patch, rs);
      const rv = wanted.metadata?.resourceVersion;
      if (rv && rv !== current.metadata?.resourceVersion)
        throw conflict(type.group, type.resource, info.name, MODIFIED);
      const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw new StatusError(
          'Invalid',
          `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        );
      }
      return { ...current, spec: { ...(current.spec as object), replicas } };
    },
    ctx,
  );
  return sendJson(res, 200, scaleOf(type, object));
}

/** POST pods/binding: the scheduler's way of setting spec.nodeName, once. */
async function bind(call: SubresourceCall): Promise<void> {
  const { rs, scope, ctx } = call;
  const { info, res } = scope;
  const binding = await call.readObject();
  const target = binding.target as { kind?: string; name?: string } | undefined;
  if (!target?.name) throw badRequest('binding target.name is required');
  if (target.kind && target.kind !== 'Node')
    throw badRequest(`binding target must be a Node, not ${target.kind}`);
  await rs.guaranteedUpdate(
    info.namespace,
    info.name,
    (pod) => {
      if (pod.metadata?.deletionTimestamp)
        throw conflict('', 'pods', info.name, 'pod is being deleted, cannot be assigned to a host');
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (spec.nodeName)
        throw conflict(
          '',
          'pods',
          info.name,
          `pod ${info.name} is already assigned to node "${spec.nodeName}"`,
        );
      // As Kubernetes' assignPod: the node is set and PodScheduled turns True.
      const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
      const conditions = [
        ...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: rfc3339(new Date()),
        },
      ];
      return {
        ...pod,
        spec: { ...spec, nodeName: target.name },
        status: { ...status, conditions },
      };
    },
    // Kubernetes assigns the node in storage, outside the field manager: no managedFields.
    { ...ctx, fieldManager: undefined },
    { validateUpdate: false, applyDefaults: false, copyOnWrite: true },
  );
  return sendJson(res, 201, successStatus());
}

async function issueToken(call: SubresourceCall): Promise<void> {
  const { scope } = call;
  const tokens = scope.tokens?.serviceAccounts;
  if (!tokens) throw new Error('this API server signs no service-account tokens');
  const answer = await answerTokenRequest({
    namespace: scope.info.namespace,
    name: scope.info.name,
    body: await call.readObject(),
    storeOf: call.storeOf,
    tokens,
  });
  return sendJson(scope.res, 201, answer);
}
