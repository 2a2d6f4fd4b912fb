import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, ResourceRegistry, ResourceType } from '../api/index.ts';
import { apiVersionOf } from '../api/index.ts';
import { decodeProtobufObject, ProtobufDecodeError } from './protobuf/index.ts';
import type { TokenAuthenticator, UserInfo } from './auth.ts';
import { StatusError, badRequest, successStatus } from './errors.ts';
import { mediaType, parseJsonObject, parseYamlObject, readBody } from './http/body.ts';
import {
  negotiateOutput,
  NOT_ACCEPTABLE,
  NOT_ACCEPTABLE_STREAM,
  parseAccept,
  wantsTable,
} from './http/negotiate.ts';
import { answerInYaml, sendJson } from './http/respond.ts';
import { applyPatchRequest } from './patch/index.ts';
import type { ResourceRequest } from './request-info.ts';
import { answerReview, REVIEW_KINDS } from './reviews.ts';
import { checkFieldValidation, type FieldValidation } from './field-validation.ts';
import { deleteObject, type DeleteOptions } from './storage/delete.ts';
import { listObjects } from './storage/list.ts';
import { listBody } from './storage/serialized.ts';
import type { ResourceStore, WriteContext } from './storage/resource-store.ts';
import type { NodeProxy } from './node-proxy.ts';
import { handleSubresource } from './subresources.ts';
import { parseIncludeObject, TABLE_CONTENT_TYPE, toTable } from './table.ts';
import { serveWatch } from './watch.ts';

// From a parsed resource request to a response: find the resource, decode the body,
// call the storage rules, and shape the answer (object, list or Table).

export interface ResourceHandlerDeps {
  registry: ResourceRegistry;
  storeFor(type: ResourceType): ResourceStore;
  tokens: TokenAuthenticator;
  nodeProxy?: NodeProxy;
}

export interface RequestScope {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  user: UserInfo;
  info: ResourceRequest;
  tokens?: TokenAuthenticator;
}

/** Subresources that upgrade to a stream of their own: no media type is negotiated. */
const CONNECT = new Set(['exec', 'attach', 'portforward', 'proxy']);

export async function handleResourceRequest(
  deps: ResourceHandlerDeps,
  scope: RequestScope,
): Promise<void> {
  const { req, res, query, info } = scope;
  const type = deps.registry.get(info.group, info.version, info.resource);
  if (
    !type ||
    (!type.namespaced && info.namespace) ||
    (type.namespaced && info.name && !info.namespace)
  ) {
    throw new StatusError('NotFound', 'the server could not find the requested resource');
  }
  if (!type.verbs.includes(info.verb) && !info.subresource) {
    throw new StatusError(
      'MethodNotAllowed',
      `${info.verb} is not supported on resources of kind "${type.resource}"`,
    );
  }
  const accept = parseAccept(req.headers.accept);
  if (!CONNECT.has(info.subresource)) {
    const watch = info.verb === 'watch';
    const format = negotiateOutput(accept, { watch });
    if (!format)
      throw new StatusError('NotAcceptable', watch ? NOT_ACCEPTABLE_STREAM : NOT_ACCEPTABLE);
    if (format === 'yaml') answerInYaml(res);
  }
  const rs = deps.storeFor(type);
  const ctx = writeContext(query, req.headers['user-agent'], info.subresource);
  if (info.subresource) {
    await handleSubresource({
      rs,
      type,
      scope,
      ctx,
      readObject: () => readObject(req, type),
      storeOf: (resource) => deps.storeFor(deps.registry.get('', 'v1', resource)!),
      ...(deps.nodeProxy ? { nodeProxy: deps.nodeProxy } : {}),
    });
    return;
  }
  const table = wantsTable(accept);
  const include = parseIncludeObject(query.get('includeObject'));
  const ns = info.namespace;

  switch (info.verb) {
    case 'get': {
      const obj = await rs.get(ns, info.name);
      if (table)
        return sendJson(
          res,
          200,
          toTable(type, [obj], { resourceVersion: obj.metadata?.resourceVersion }, include),
          TABLE_CONTENT_TYPE,
        );
      return sendJson(res, 200, obj);
    }
    case 'list': {
      const result = await listObjects(rs, {
        namespace: ns,
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        limit: parseLimit(query.get('limit')),
        continue: query.get('continue') ?? undefined,
        resourceVersion: query.get('resourceVersion') ?? undefined,
        resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
      });
      const listMeta = {
        resourceVersion: result.resourceVersion,
        ...(result.continue ? { continue: result.continue } : {}),
        ...(result.remainingItemCount !== undefined
          ? { remainingItemCount: result.remainingItemCount }
          : {}),
      };
      if (table)
        return sendJson(
          res,
          200,
          toTable(type, result.items, listMeta, include),
          TABLE_CONTENT_TYPE,
        );
      return sendJson(
        res,
        200,
        listBody(type.listKind, apiVersionOf(type.group, type.version), listMeta, result.items),
      );
    }
    case 'watch':
      return serveWatch(
        req,
        res,
        rs,
        {
          namespace: ns,
          labelSelector: query.get('labelSelector') ?? undefined,
          fieldSelector: query.get('fieldSelector') ?? undefined,
          resourceVersion: query.get('resourceVersion') ?? undefined,
          resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
          timeoutSeconds: query.get('timeoutSeconds') ?? undefined,
          allowWatchBookmarks: query.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: query.get('sendInitialEvents') === 'true',
        },
        { table, include },
      );
    case 'create': {
      const { obj, warnings } = await readChecked(req, type, query);
      if (REVIEW_KINDS.has(type.kind)) {
        return sendJson(res, 201, await answerReview(type, obj, scope.user, deps.tokens));
      }
      warn(res, warnings);
      return sendJson(res, 201, await rs.create(ns, obj, ctx));
    }
    case 'update': {
      const { obj, warnings } = await readChecked(req, type, query);
      warn(res, warnings);
      const { object, created } = await rs.update(ns, info.name, obj, ctx);
      return sendJson(res, created ? 201 : 200, object);
    }
    case 'patch': {
      const { object, created, warnings } = await applyPatchRequest(rs, scope, ctx);
      warn(res, warnings);
      return sendJson(res, created ? 201 : 200, object);
    }
    case 'delete': {
      const opts = await readDeleteOptions(req, query);
      const { object, deleted } = await deleteObject(rs, ns, info.name, opts, ctx);
      // Kubernetes: 202 while finalizers or a grace period hold the object; a Status
      // instead of the object for most kinds once it is gone.
      if (!deleted) return sendJson(res, 202, object);
      if (type.returnDeletedObject) return sendJson(res, 200, object);
      return sendJson(
        res,
        200,
        successStatus({
          name: info.name,
          ...(type.group ? { group: type.group } : {}),
          kind: type.resource,
          uid: object.metadata?.uid,
        }),
      );
    }
    case 'deletecollection': {
      const opts = await readDeleteOptions(req, query);
      const result = await listObjects(rs, {
        namespace: ns,
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
      });
      const deleted: KubeObject[] = [];
      for (const obj of result.items) {
        try {
          deleted.push(
            (await deleteObject(rs, obj.metadata!.namespace ?? '', obj.metadata!.name!, opts, ctx))
              .object,
          );
        } catch (err) {
          if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
        }
      }
      return sendJson(
        res,
        200,
        listJson(type, deleted, { resourceVersion: result.resourceVersion }),
      );
    }
    default:
      throw new StatusError(
        'MethodNotAllowed',
        `${req.method} is not supported on ${type.resource}`,
      );
  }
}

export function listJson(
  type: ResourceType,
  items: KubeObject[],
  metadata: Record<string, unknown>,
) {
  return {
    kind: type.listKind,
    apiVersion: apiVersionOf(type.group, type.version),
    metadata,
    items,
  };
}

function writeContext(
  query: URLSearchParams,
  userAgent: string | undefined,
  subresource: string,
): WriteContext {
  const dryRun = query.getAll('dryRun');
  for (const d of dryRun) {
    if (d !== 'All') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  }
  const manager = query.get('fieldManager');
  if (manager !== null && (manager.length > 128 || /[^\x20-\x7e]/.test(manager))) {
    throw badRequest('fieldManager: Invalid value: must be at most 128 printable characters');
  }
  // Without an explicit manager, Kubernetes names the writer after its user agent.
  const fromAgent = (userAgent ?? 'unknown').split('/')[0]!.slice(0, 128) || 'unknown';
  return {
    now: new Date(),
    dryRun: dryRun.length > 0,
    fieldManager: manager ?? fromAgent,
    subresource,
  };
}

function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw badRequest(`invalid limit: ${JSON.stringify(value)}: must be a non-negative integer`);
  return Number(value);
}

/** Decodes a create/update body of any accepted media type. */
export async function readObject(req: IncomingMessage, type: ResourceType): Promise<KubeObject> {
  const body = await readBody(req);
  const media = mediaType(req);
  if (body.length === 0) throw badRequest('the request body is empty: send the object to write');
  switch (media) {
    case 'application/json':
      return parseJsonObject(body) as KubeObject;
    case 'application/yaml':
      return parseYamlObject(body) as KubeObject;
    case 'application/vnd.kubernetes.protobuf':
      try {
        return decodeProtobufObject(body).object as KubeObject;
      } catch (err) {
        if (err instanceof ProtobufDecodeError) throw badRequest(err.message);
        throw err;
      }
    default:
      throw new StatusError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
      );
  }
  void type;
}

async function readChecked(req: IncomingMessage, type: ResourceType, query: URLSearchParams) {
  const obj = await readObject(req, type);
  const warnings = checkFieldValidation(
    type,
    obj,
    query.get('fieldValidation') as FieldValidation | null,
  );
  return { obj, warnings };
}

export function warn(res: ServerResponse, warnings: string[]): void {
  if (warnings.length > 0) {
    res.setHeader(
      'Warning',
      warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
  }
}

async function readDeleteOptions(
  req: IncomingMessage,
  query: URLSearchParams,
): Promise<DeleteOptions> {
  const body = await readBody(req);
  let opts: DeleteOptions = {};
  if (body.length > 0) opts = parseJsonObject(body, 'DeleteOptions') as DeleteOptions;
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) opts.gracePeriodSeconds = Number(grace);
  const policy = query.get('propagationPolicy');
  if (policy !== null) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (query.getAll('dryRun').length > 0) opts.dryRun = query.getAll('dryRun');
  return opts;
}
