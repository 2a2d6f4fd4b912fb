import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRegistry } from '../api/index.ts';
import { negotiateOpenApiV2 } from '../api/openapi-v2/index.ts';
import type { Backend } from '../store/index.ts';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  legacyApiVersions,
  legacyGroup,
  legacyGroupList,
  legacyResourceList,
} from './discovery.ts';
import { StatusError } from './errors.ts';
import { parseAccept, wantedDiscovery } from './http/negotiate.ts';
import { sendJson, sendText } from './http/respond.ts';
import type { ApiMetrics } from './metrics.ts';
import type { OpenApiDocuments } from './openapi.ts';
import type { parseRequestPath } from './request-info.ts';
import { versionInfo } from './version.ts';

// The API server's paths that are not resources: discovery (aggregated and legacy),
// /version, the health checks, /metrics and the OpenAPI documents. Read-only: anything
// but GET and HEAD is refused.

export interface NonResourceContext {
  registry: ResourceRegistry;
  store: Backend;
  metrics: ApiMetrics;
  openapi: OpenApiDocuments;
  watcherCount(): number;
  /** Whether the server finished starting (readyz's informer-sync and bootstrap checks). */
  ready(): boolean;
}

/** Everything but the resources: discovery, version, health, metrics and OpenAPI. */
export async function handleNonResource(
  ctx: NonResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  info: ReturnType<typeof parseRequestPath>,
): Promise<void> {
  const registry = ctx.registry;
  const accept = parseAccept(req.headers.accept);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new StatusError('MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`);
  }
  switch (info.kind) {
    case 'discovery': {
      const aggregated = wantedDiscovery(accept);
      if (aggregated) {
        return sendJson(
          res,
          200,
          aggregatedDiscovery(registry, info.path, aggregated),
          aggregatedContentType(aggregated),
        );
      }
      if (info.path === 'api')
        return sendJson(res, 200, legacyApiVersions(req.headers.host ?? '127.0.0.1:6443'));
      return sendJson(res, 200, legacyGroupList(registry));
    }
    case 'groupDiscovery': {
      const group = legacyGroup(registry, info.group);
      if (!group)
        throw new StatusError('NotFound', 'the server could not find the requested resource');
      return sendJson(res, 200, group);
    }
    case 'resourceList':
      if (!registry.hasGroupVersion(info.group, info.version)) {
        throw new StatusError('NotFound', 'the server could not find the requested resource');
      }
      return sendJson(res, 200, legacyResourceList(registry, info.group, info.version));
  }
  const path = url.pathname;
  if (path === '/version') return sendJson(res, 200, versionInfo());
  if (path === '/healthz' || path === '/livez' || path.startsWith('/livez/'))
    return sendText(res, 200, 'ok');
  if (path === '/readyz' || path.startsWith('/readyz/')) return readyz(ctx, res, url);
  if (path === '/metrics') {
    const text = await ctx.metrics.render(ctx.watcherCount());
    res.writeHead(200, { 'Content-Type': ctx.metrics.contentType });
    res.end(text);
    return;
  }
  if (path === '/openapi/v2') return openApiV2(ctx, req, res);
  if (path === '/openapi/v3') return sendJson(res, 200, ctx.openapi.index());
  if (path.startsWith('/openapi/v3/')) {
    const doc = ctx.openapi.document(path.slice('/openapi/v3/'.length));
    if (!doc) throw new StatusError('NotFound', 'the server could not find the requested resource');
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'public, immutable',
      ETag: `"${doc.hash}"`,
    });
    res.end(doc.json);
    return;
  }
  throw new StatusError('NotFound', 'the server could not find the requested resource');
}

function openApiV2(ctx: NonResourceContext, req: IncomingMessage, res: ServerResponse): void {
  const format = negotiateOpenApiV2(req.headers.accept);
  if (!format) {
    throw new StatusError(
      'NotAcceptable',
      'only application/json and application/com.github.proto-openapi.spec.v2.v1.0+protobuf are served',
    );
  }
  const doc = ctx.openapi.v2();
  const headers = {
    'Content-Type': format.contentType,
    ETag: doc.etag,
    Vary: 'Accept',
    'Cache-Control': 'no-cache, private',
  };
  if (req.headers['if-none-match'] === doc.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = format.format === 'protobuf' ? doc.protobuf() : Buffer.from(doc.json);
  res.writeHead(200, { ...headers, 'Content-Length': body.length });
  res.end(body);
}

async function readyz(ctx: NonResourceContext, res: ServerResponse, url: URL): Promise<void> {
  const checks: [string, boolean][] = [
    ['ping', true],
    ['log', true],
  ];
  let storeOk = true;
  try {
    await ctx.store.currentRevision();
  } catch {
    storeOk = false;
  }
  checks.push(
    ['etcd', storeOk],
    ['informer-sync', ctx.ready()],
    ['poststarthook/bootstrap-namespaces', ctx.ready()],
  );
  const ok = checks.every(([, good]) => good);
  if (url.searchParams.has('verbose')) {
    const lines = checks.map(
      ([name, good]) => `[${good ? '+' : '-'}]${name} ${good ? 'ok' : 'failed: not ready'}`,
    );
    return sendText(
      res,
      ok ? 200 : 500,
      `${lines.join('\n')}\nreadyz check ${ok ? 'passed' : 'failed'}\n`,
    );
  }
  return sendText(res, ok ? 200 : 500, ok ? 'ok' : 'readyz check failed');
}
