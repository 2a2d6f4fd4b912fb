import type { KubeObject } from '../api/index.ts';
import type { Status } from './api-error.ts';
import { ndjson, Transport } from './transport.ts';

// A REST client for any resource of the Kubernetes API, as client-go's dynamic client:
// resources are named by group, version and plural; objects are plain JSON. Failures
// the server reports throw ApiError (see isNotFound & co); network failures throw the
// socket's error; an aborted `signal` rejects with an AbortError.

/** Which resource a call is about, e.g. `{ group: 'apps', version: 'v1', resource: 'deployments', namespaced: true }`. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, lower-case: `configmaps`. */
  resource: string;
  namespaced: boolean;
}

export interface RestClientOptions {
  /** `https://host:port`, optionally with a path prefix. */
  server: string;
  token: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  userAgent?: string;
  /** Bound on every non-watch request; default 60 s. */
  timeoutMs?: number;
  /**
   * The API server's local unix socket (plain HTTP), for components running in the API
   * server's own process; `server` still names the server for messages.
   */
  socketPath?: string;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

interface CallOptions {
  signal?: AbortSignal;
}

export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WriteOptions extends CallOptions {
  fieldManager?: string;
  dryRun?: boolean;
}

export interface UpdateOptions extends WriteOptions {
  subresource?: 'status' | 'scale' | (string & {});
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions extends UpdateOptions {
  /** Server-side apply only: take over fields owned by other managers. */
  force?: boolean;
}

export interface DeleteOptions extends CallOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions extends CallOptions {
  /** Where to start: events after this version. '' or '0' start with the current state as ADDED events. */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEvent<T = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export class RestClient {
  readonly #transport: Transport;

  constructor(opts: RestClientOptions) {
    this.#transport = new Transport({
      server: opts.server,
      token: opts.token,
      caPem: opts.caPem,
      userAgent: opts.userAgent ?? 'wharf-client',
      timeoutMs: opts.timeoutMs ?? 60_000,
      ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    });
  }

  get<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    opts: CallOptions = {},
  ): Promise<T> {
    return this.#transport.json({
      method: 'GET',
      path: resourcePath(ref, namespace, name),
      signal: opts.signal,
    });
  }

  /** One page of a list; `namespace` '' lists across all namespaces. */
  list<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    opts: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const query = params({
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      limit: opts.limit,
      continue: opts.continue,
      resourceVersion: opts.resourceVersion,
      resourceVersionMatch: opts.resourceVersionMatch,
    });
    return this.#transport.json({
      method: 'GET',
      path: resourcePath(ref, namespace),
      query,
      signal: opts.signal,
    });
  }

  create<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    obj: NoInfer<T>,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.#transport.json({
      method: 'POST',
      path: resourcePath(ref, namespace),
      query: writeParams(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  /** POSTs to a subresource of an object: pods/binding, pods/eviction, serviceaccounts/token. */
  createSubresource<T = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    subresource: string,
    obj: KubeObject,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.#transport.json({
      method: 'POST',
      path: resourcePath(ref, namespace, name, subresource),
      query: writeParams(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  /** Replaces the object (or a subresource); a stale metadata.resourceVersion fails with Conflict. */
  update<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    obj: NoInfer<T>,
    opts: UpdateOptions = {},
  ): Promise<T> {
    return this.#transport.json({
      method: 'PUT',
      path: resourcePath(ref, namespace, name, opts.subresource),
      query: writeParams(opts),
      body: obj,
      signal: opts.signal,
    });
  }

  /** `patch` is an array of operations for 'json', an object otherwise; 'apply' needs a fieldManager. */
  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const query = writeParams(opts);
    if (opts.force !== undefined) query.set('force', String(opts.force));
    return this.#transport.json({
      method: 'PATCH',
      path: resourcePath(ref, namespace, name, opts.subresource),
      query,
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      signal: opts.signal,
    });
  }

  /** Answers the object (still present while finalizers or a grace period hold it) or a Status. */
  delete<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<T | Status> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
      ...(opts.gracePeriodSeconds !== undefined
        ? { gracePeriodSeconds: opts.gracePeriodSeconds }
        : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    };
    return this.#transport.json({
      method: 'DELETE',
      path: resourcePath(ref, namespace, name),
      query: params({ dryRun: opts.dryRun ? 'All' : undefined }),
      body,
      signal: opts.signal,
    });
  }

  /**
   * Streams change events until the server ends the watch (timeoutSeconds), `signal`
   * aborts (then the iteration just ends) or the caller stops iterating. An expired
   * resourceVersion arrives as an ERROR event carrying a 410 Status, or as an ApiError
   * with code 410 thrown by the first iteration.
   */
  async *watch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string,
    opts: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const query = params({
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds,
    });
    const spec = { method: 'GET', path: resourcePath(ref, namespace), query, signal: opts.signal };
    let res;
    try {
      res = await this.#transport.stream(spec);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
    try {
      for await (const event of ndjson(res)) yield event as WatchEvent<T>;
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
  }

  /** Closes pooled connections, cutting open watches. */
  close(): void {
    this.#transport.close();
  }
}

/** `/api/v1/namespaces/ns/pods/name/status`, each segment only when given. */
export function resourcePath(
  ref: ResourceRef,
  namespace: string,
  name?: string,
  subresource?: string,
): string {
  let path = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  if (ref.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${ref.resource}`;
  if (name !== undefined) {
    if (name === '') throw new Error(`${ref.resource}: a name is required`);
    path += `/${encodeURIComponent(name)}`;
  }
  if (subresource) path += `/${subresource}`;
  return path;
}

function params(values: Record<string, string | number | undefined>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(values))
    if (v !== undefined && v !== '') query.set(k, String(v));
  return query;
}

function writeParams(opts: WriteOptions): URLSearchParams {
  return params({ fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined });
}
