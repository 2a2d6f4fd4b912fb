import type { KubeObject, ResourceType } from '../../api/index.ts';
import { apiVersionOf, cloneJson, rfc3339 } from '../../api/index.ts';
import { isStoreError, type Backend } from '../../store/index.ts';
import {
  MODIFIED,
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
} from '../errors.ts';
import type { Admission } from './admission.ts';
import { admitPodPriority } from './priority-admission.ts';
import { admitServiceAccount } from '../serviceaccount/index.ts';
import { decodeObject, encodeObject, encodeWritten, objectKey, settleWritten } from './codec.ts';
import { generateNameSuffix, jsonEqual, meta, newUid, specOf } from './object-meta.ts';
import type { WatchCache } from './watch-cache.ts';
import { NO_HOOK_RESULT, type WriteHooks, type WriteHooksFor } from './write-hooks.ts';
import { recordUpdate } from '../patch/managed-fields.ts';
import { listLookup } from '../patch/meta.ts';

// The rules of kube-apiserver's generic registry for one resource: create, read, update
// (optimistic concurrency, generation, status split, no-op detection) and the shared
// retry loop that patches and controllers' writes go through.

export interface WriteContext {
  now: Date;
  dryRun: boolean;
  /** Who the changed fields belong to in managedFields; no record when absent. */
  fieldManager?: string;
  /** The subresource being written (`status`), for managedFields. */
  subresource?: string;
}

export interface StoreDeps {
  store: Backend;
  cache: WatchCache;
  admission: Admission;
  /** Per-kind work around writes (service IP and node port allocation). */
  hooks?: WriteHooksFor;
}

const MAX_RETRIES = 16;

export interface UpdateOptions {
  /** false for server-side assignments (binding a pod), which are not user updates. */
  validateUpdate?: boolean;
  /**
   * false when the change is the server's own on a stored, hence defaulted, object:
   * Kubernetes defaults what it decodes from a request, not what a subresource sets.
   */
  applyDefaults?: boolean;
  /**
   * true when `mutate` never changes the object it is given and returns a new one: the
   * current object (the watch cache's shared copy) is then not deep-copied first. The
   * result may share anything with it; its metadata is copied here, as the write sets
   * fields of it.
   */
  copyOnWrite?: boolean;
}

export class ResourceStore {
  readonly type: ResourceType;
  readonly deps: StoreDeps;

  constructor(type: ResourceType, deps: StoreDeps) {
    this.type = type;
    this.deps = deps;
  }

  key(namespace: string, name: string): string {
    return objectKey(this.type.storagePrefix, this.type.namespaced ? namespace : '', name);
  }

  /** An object as stored, in the version this resource serves. */
  view(stored: KubeObject): KubeObject {
    return this.type.conversion ? this.type.conversion.fromStorage(stored) : stored;
  }

  toStorage(obj: KubeObject): KubeObject {
    return this.type.conversion ? this.type.conversion.toStorage(obj) : obj;
  }

  /**
   * The stored bytes of `obj`. Without a conversion between the served and the stored
   * form, the writer's object itself is what the store holds (encodeWritten), and `json`
   * is its stored text.
   */
  #encode(obj: KubeObject): { value: Buffer; json?: string } {
    const conversion = this.type.conversion;
    return conversion ? { value: encodeObject(conversion.toStorage(obj)) } : encodeWritten(obj);
  }

  get hooks(): WriteHooks | undefined {
    return this.deps.hooks?.(this.type);
  }

  notFound(name: string): StatusError {
    return notFound(this.type.group, this.type.resource, name);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const kv = await this.deps.store.get(this.key(namespace, name));
    if (!kv) throw this.notFound(name);
    return this.view(decodeObject(kv));
  }

  /** Checks apiVersion/kind of a request body and fills them when absent. */
  #checkTypeMeta(obj: KubeObject): void {
    const want = apiVersionOf(this.type.group, this.type.version);
    if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== this.type.kind) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${this.type.kind}): kind "${obj.kind}" does not match`,
      );
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== want) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`,
      );
    }
    obj.apiVersion = want;
    obj.kind = this.type.kind;
  }

  #checkNamespace(obj: KubeObject, namespace: string): void {
    const m = meta(obj);
    if (!this.type.namespaced) {
      delete m.namespace;
      return;
    }
    if (m.namespace && m.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    m.namespace = namespace;
  }

  #invalid(obj: KubeObject, errors: ReturnType<Admission['validateCreate']>): StatusError {
    const name = obj.metadata?.name ?? '';
    const message = this.deps.admission.formatErrors(this.type, name, errors);
    return invalid(this.type.group, this.type.kind, name, errors, message);
  }

  async create(namespace: string, input: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const obj = cloneJson(input);
    this.#checkTypeMeta(obj);
    this.#checkNamespace(obj, namespace);
    const m = meta(obj);
    if (m.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    const generated = !m.name && !!m.generateName;
    m.uid = newUid();
    m.creationTimestamp = rfc3339(ctx.now);
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (this.type.tracksGeneration) m.generation = 1;
    else delete m.generation;
    this.type.prepareForCreate?.(obj);
    this.type.normalize?.(obj);
    if (this.type.group === '' && this.type.kind === 'Pod')
      await admitPodPriority(this.deps.store, this.deps.cache, obj);
    this.deps.admission.applyDefaults(this.type, obj);
    if (this.type.namespaced)
      await this.#checkNamespaceOpen(namespace, m.name ?? m.generateName ?? '');
    if (this.type.group === '' && this.type.kind === 'Pod')
      await admitServiceAccount(this.deps.store, this.deps.cache, namespace, obj);
    if (ctx.fieldManager) {
      m.managedFields = recordUpdate(
        undefined,
        obj,
        ctx.fieldManager,
        listLookup(this.type),
        rfc3339(ctx.now),
      );
    }
    const hooks = this.hooks;
    for (let attempt = 0; ; attempt++) {
      if (generated) m.name = `${m.generateName}${generateNameSuffix()}`;
      const begun = hooks?.beginCreate ? await hooks.beginCreate(obj, ctx.dryRun) : NO_HOOK_RESULT;
      let committed = false;
      try {
        if (begun.errors.length > 0) throw this.#invalid(obj, begun.errors);
        const errors = this.deps.admission.validateCreate(this.type, obj);
        if (errors.length > 0) throw this.#invalid(obj, errors);
        if (ctx.dryRun) return obj;
        const { value, json } = this.#encode(obj);
        const key = this.key(namespace, m.name!);
        const revision = await this.deps.store.create(key, value, ttlOf(this.type, obj));
        committed = true;
        if (json === undefined) m.resourceVersion = String(revision);
        else settleWritten(obj, json, revision);
        return obj;
      } catch (err) {
        if (isStoreError(err, 'KeyExists')) {
          if (generated && attempt < 3) continue;
          throw alreadyExists(this.type.group, this.type.resource, m.name!);
        }
        throw storeFailure(err);
      } finally {
        await begun.finish(committed);
      }
    }
  }

  /**
   * Replaces an object (PUT). With `subresource: 'status'` only the status is taken from
   * the request; otherwise the status is kept (for kinds with a status subresource).
   */
  async update(
    namespace: string,
    name: string,
    input: KubeObject,
    ctx: WriteContext,
    subresource = '',
  ): Promise<{ object: KubeObject; created: boolean }> {
    const obj = cloneJson(input);
    this.#checkTypeMeta(obj);
    this.#checkNamespace(obj, namespace);
    const m = meta(obj);
    if (m.name !== undefined && m.name !== name) {
      throw badRequest(
        `the name of the object (${m.name}) does not match the name on the URL (${name})`,
      );
    }
    m.name = name;
    const wantedVersion = m.resourceVersion;
    try {
      const object = await this.guaranteedUpdate(
        namespace,
        name,
        (current) => {
          if (wantedVersion && wantedVersion !== current.metadata?.resourceVersion) {
            throw conflict(this.type.group, this.type.resource, name, MODIFIED);
          }
          return this.#merge(current, obj, subresource);
        },
        ctx,
      );
      return { object, created: false };
    } catch (err) {
      const missing = err instanceof StatusError && err.reason === 'NotFound';
      if (missing && this.type.allowCreateOnUpdate && !subresource && !wantedVersion) {
        delete m.resourceVersion;
        return { object: await this.create(namespace, obj, ctx), created: true };
      }
      throw err;
    }
  }

  /** The object a PUT leaves: request body plus what the client may not change. */
  #merge(current: KubeObject, incoming: KubeObject, subresource: string): KubeObject {
    if (subresource === 'status') {
      const next = cloneJson(current);
      next.status = cloneJson(incoming.status);
      return next;
    }
    const next = cloneJson(incoming);
    if (this.type.hasStatus) next.status = cloneJson(current.status);
    return next;
  }

  /**
   * Reads the object, lets `mutate` produce its next state, and writes it if it moved;
   * retries on conflicts with other writers. `mutate` may throw a StatusError (for
   * example Conflict when the caller pinned a resourceVersion).
   *
   * As kube-apiserver's GuaranteedUpdate with a cached existing object, the first attempt
   * starts from the watch cache's copy instead of reading the store. The write is a
   * compare-and-swap on that copy's revision, so a stale copy cannot win; and whatever
   * goes wrong while working from the cache (a conflict, a pinned resourceVersion that is
   * newer, a validation error, an apparent no-op) is tried again from the store before
   * it counts.
   */
  async guaranteedUpdate(
    namespace: string,
    name: string,
    mutate: (current: KubeObject) => KubeObject,
    ctx: WriteContext,
    opts: UpdateOptions = {},
  ): Promise<KubeObject> {
    const key = this.key(namespace, name);
    let fromCache = true;
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const cached = fromCache ? this.deps.cache.get(key) : undefined;
      let current: KubeObject;
      let modRevision: number;
      if (cached) {
        current = this.view(cached);
        modRevision = Number(cached.metadata?.resourceVersion);
      } else {
        fromCache = false;
        const kv = await this.deps.store.get(key);
        if (!kv) throw this.notFound(name);
        current = this.view(decodeObject(kv));
        modRevision = kv.modRevision;
      }
      let begun = NO_HOOK_RESULT;
      let committed = false;
      try {
        const next = opts.copyOnWrite
          ? withOwnMetadata(current, mutate(current))
          : mutate(cloneJson(current));
        this.#checkTypeMeta(next);
        this.#checkNamespace(next, namespace);
        this.#keepSystemFields(current, next);
        this.type.normalize?.(next);
        if (opts.applyDefaults !== false) this.deps.admission.applyDefaults(this.type, next);
        const hooks = this.hooks;
        if (hooks?.beginUpdate) begun = await hooks.beginUpdate(next, current, ctx.dryRun);
        if (begun.errors.length > 0) throw this.#invalid(next, begun.errors);
        const outcome = await this.#writeUpdate(key, modRevision, current, next, ctx, {
          ...opts,
          stale: fromCache,
        });
        if (outcome === 'retry') {
          fromCache = false;
          continue;
        }
        committed = true;
        return outcome;
      } catch (err) {
        if (!fromCache) throw err;
        fromCache = false;
      } finally {
        await begun.finish(committed);
      }
    }
    throw conflict(this.type.group, this.type.resource, name, MODIFIED);
  }

  /** One attempt at storing `next` over `current`; 'retry' when another writer won. */
  async #writeUpdate(
    key: string,
    modRevision: number,
    current: KubeObject,
    next: KubeObject,
    ctx: WriteContext,
    opts: UpdateOptions & { stale: boolean },
  ): Promise<KubeObject | 'retry'> {
    const name = current.metadata?.name ?? '';
    if (this.type.tracksGeneration && !jsonEqual(specOf(current), specOf(next))) {
      meta(next).generation = (current.metadata?.generation ?? 0) + 1;
    }
    if (jsonEqual(withoutVolatile(current), withoutVolatile(next))) {
      // Nothing to write only if nothing newer is in the store; the caller gets an object
      // of its own, never the cache's shared copy.
      return opts.stale ? 'retry' : current;
    }
    if (ctx.fieldManager) {
      meta(next).managedFields = recordUpdate(
        current,
        next,
        ctx.fieldManager,
        listLookup(this.type),
        rfc3339(ctx.now),
        ctx.subresource ?? '',
      );
    }
    // Server-side assignments (binding a pod) are not user updates of the object.
    const errors =
      opts.validateUpdate === false
        ? []
        : this.deps.admission.validateUpdate(this.type, next, current, ctx.subresource ?? '');
    if (errors.length > 0) throw this.#invalid(next, errors);
    if (ctx.dryRun) return next;
    if (readyToDelete(next)) {
      // The last finalizer is gone from an object being deleted: it goes now.
      try {
        await this.deps.store.delete(key, modRevision);
        await this.hooks?.afterDelete?.(next);
        return next;
      } catch (err) {
        if (isStoreError(err, 'Conflict')) return 'retry';
        if (isStoreError(err, 'NotFound')) throw this.notFound(name);
        throw storeFailure(err);
      }
    }
    try {
      const { value, json } = this.#encode(next);
      const written = await this.deps.store.update(key, value, modRevision, ttlOf(this.type, next));
      if (json === undefined) return this.view(decodeObject(written));
      // What was just encoded is what decoding it would give: the object itself.
      settleWritten(next, json, written.modRevision);
      return next;
    } catch (err) {
      if (isStoreError(err, 'Conflict')) return 'retry';
      if (isStoreError(err, 'NotFound')) throw this.notFound(name);
      throw storeFailure(err);
    }
  }

  /**
   * New content may only go into a namespace that exists and is not being deleted (the
   * NamespaceLifecycle admission of Kubernetes).
   */
  /**
   * NamespaceLifecycle: reads the namespace from the watch cache as the admission plugin
   * reads its informer, and from the store only when the cache has not heard of it yet
   * (a namespace created a moment ago).
   */
  async #checkNamespaceOpen(namespace: string, name: string): Promise<void> {
    const key = objectKey('/registry/core/namespaces/', '', namespace);
    let ns = this.deps.cache.get(key);
    if (!ns) {
      const kv = await this.deps.store.get(key);
      if (!kv) throw notFound('', 'namespaces', namespace);
      ns = decodeObject(kv);
    }
    const phase = (ns.status as { phase?: string } | undefined)?.phase;
    if (ns.metadata?.deletionTimestamp || phase === 'Terminating') {
      throw new StatusError(
        'Forbidden',
        `${this.type.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          kind: this.type.resource,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  /** Fields only the server sets survive any update unchanged. */
  #keepSystemFields(current: KubeObject, next: KubeObject): void {
    const cm = meta(current);
    const nm = meta(next);
    if (nm.uid && nm.uid !== cm.uid) {
      throw conflict(
        this.type.group,
        this.type.resource,
        cm.name ?? '',
        `Precondition failed: UID in precondition: ${nm.uid}, UID in object meta: ${cm.uid}`,
      );
    }
    nm.name = cm.name;
    nm.uid = cm.uid;
    nm.creationTimestamp = cm.creationTimestamp;
    nm.resourceVersion = cm.resourceVersion;
    if (!nm.managedFields && cm.managedFields) nm.managedFields = cm.managedFields;
    if (cm.generation !== undefined) nm.generation = cm.generation;
    else delete nm.generation;
    if (cm.deletionTimestamp) {
      nm.deletionTimestamp = cm.deletionTimestamp;
      nm.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    } else {
      delete nm.deletionTimestamp;
      delete nm.deletionGracePeriodSeconds;
    }
  }
}

/**
 * An object marked for deletion goes once nothing holds it: no finalizers (for namespaces
 * also no spec.finalizers) and no grace period left (pods are released by their node).
 */
function readyToDelete(obj: KubeObject): boolean {
  const m = obj.metadata ?? {};
  if (!m.deletionTimestamp || (m.finalizers ?? []).length > 0) return false;
  if ((m.deletionGracePeriodSeconds ?? 0) > 0) return false;
  const specFinalizers = (obj.spec as { finalizers?: unknown[] } | undefined)?.finalizers;
  return obj.kind !== 'Namespace' || (specFinalizers ?? []).length === 0;
}

/** What a no-op comparison ignores: the version and the time of the managed-field entries. */
function withoutVolatile(obj: KubeObject): KubeObject {
  const { resourceVersion: _rv, managedFields: _mf, ...m } = obj.metadata ?? {};
  return { ...obj, metadata: m };
}

/** Events expire an hour after their last write, as kube-apiserver's --event-ttl. */
function ttlOf(type: ResourceType, _obj: KubeObject): { ttlSeconds?: number } {
  return type.kind === 'Event' ? { ttlSeconds: 3600 } : {};
}

export function storeFailure(err: unknown): StatusError | unknown {
  if (err instanceof StatusError) return err;
  if (isStoreError(err, 'ValueTooLarge')) {
    return new StatusError(
      'RequestEntityTooLarge',
      `etcdserver: request is too large (${err.message})`,
    );
  }
  if (isStoreError(err, 'Unavailable')) {
    return new StatusError('ServiceUnavailable', `the store is unavailable: ${err.message}`);
  }
  return err;
}

/** `next` with metadata of its own when it still shares `current`'s. */
function withOwnMetadata(current: KubeObject, next: KubeObject): KubeObject {
  if (next === current) return { ...current, metadata: { ...current.metadata } };
  if (next.metadata === current.metadata) return { ...next, metadata: { ...next.metadata } };
  return next;
}
