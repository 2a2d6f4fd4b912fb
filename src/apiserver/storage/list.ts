import type { KubeObject, ResourceType } from '../../api/index.ts';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
  type FieldRequirement,
  type LabelSelector,
} from '../../api/selectors/index.ts';
import { encodeContinueToken, isStoreError } from '../../store/index.ts';
import { StatusError, badRequest } from '../errors.ts';
import { decodeObject } from './codec.ts';
import { storeFailure, type ResourceStore } from './resource-store.ts';
import { NotFreshError } from './watch-cache.ts';

// LIST with kube-apiserver's resourceVersion rules:
//   unset, no limit      → consistent: the cache once it has caught up with the store
//   unset, limit/continue → the store: a consistent snapshot, page by page
//   "0"                  → the cache as it is (limit ignored, as Kubernetes does)
//   N, NotOlderThan      → the cache once it is at least at N (limit ignored)
//   N, Exact             → the store at revision N (410 once compacted)

export interface ListQuery {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ObjectFilter {
  labels: LabelSelector;
  fields: FieldRequirement[];
  matches(obj: KubeObject): boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export function buildFilter(
  type: ResourceType,
  labelSelector = '',
  fieldSelector = '',
): ObjectFilter {
  let labels: LabelSelector;
  let fields: FieldRequirement[];
  try {
    labels = parseLabelSelector(labelSelector);
    fields = parseFieldSelector(fieldSelector);
  } catch (err) {
    if (err instanceof SelectorParseError) throw badRequest(err.message);
    throw err;
  }
  for (const f of fields) {
    if (
      f.field !== 'metadata.name' &&
      f.field !== 'metadata.namespace' &&
      !type.fieldSelectors[f.field]
    ) {
      throw badRequest(`field label not supported: ${f.field}`);
    }
  }
  const valueOf = (obj: KubeObject) => (field: string) => {
    if (field === 'metadata.name') return obj.metadata?.name ?? '';
    if (field === 'metadata.namespace') return obj.metadata?.namespace ?? '';
    return type.fieldSelectors[field]!(obj);
  };
  return {
    labels,
    fields,
    matches: (obj) =>
      matchesLabels(labels, obj.metadata?.labels) &&
      (fields.length === 0 || matchesFields(fields, valueOf(obj))),
  };
}

export function parseResourceVersion(
  rv: string | undefined,
  what = 'resourceVersion',
): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv))
    throw badRequest(`invalid ${what}: ${JSON.stringify(rv)}: must be a non-negative integer`);
  return Number(rv);
}

export function collectionPrefix(rs: ResourceStore, namespace: string): string {
  return rs.type.namespaced && namespace
    ? `${rs.type.storagePrefix}${namespace}/`
    : rs.type.storagePrefix;
}

export async function listObjects(rs: ResourceStore, q: ListQuery): Promise<ListResult> {
  const filter = buildFilter(rs.type, q.labelSelector, q.fieldSelector);
  const rv = parseResourceVersion(q.resourceVersion);
  const match = q.resourceVersionMatch ?? '';
  if (match && !['Exact', 'NotOlderThan'].includes(match)) {
    throw badRequest(
      `resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  }
  if (match && rv === undefined) {
    throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  if (q.continue && rv !== undefined && rv !== 0) {
    throw badRequest('specifying resource version is not allowed when using continue');
  }
  const limit = q.limit && q.limit > 0 ? q.limit : 0;
  const prefix = collectionPrefix(rs, q.namespace);

  if (q.continue || (limit > 0 && rv === undefined) || match === 'Exact') {
    return listFromStore(rs, prefix, filter, limit, q.continue, match === 'Exact' ? rv : undefined);
  }
  const cache = rs.deps.cache;
  try {
    if (rv === undefined) await cache.waitFresh();
    else if (rv > 0) await cache.waitFresh(rv);
  } catch (err) {
    if (err instanceof NotFreshError) {
      throw new StatusError('Timeout', `Timeout: ${err.message}`, { retryAfterSeconds: 1 });
    }
    throw err;
  }
  const { revision, objects } = cache.list(prefix);
  const items = rs.type.conversion ? objects.map((o) => rs.view(o)) : objects;
  return { items: items.filter((o) => filter.matches(o)), resourceVersion: String(revision) };
}

async function listFromStore(
  rs: ResourceStore,
  prefix: string,
  filter: ObjectFilter,
  limit: number,
  token: string | undefined,
  revision: number | undefined,
): Promise<ListResult> {
  const items: KubeObject[] = [];
  let next = token;
  let rv = 0;
  let remaining: number | undefined;
  try {
    // Selectors filter after reading, so keep reading until the page is full.
    do {
      const want = limit > 0 ? Math.max(limit - items.length, 1) : 0;
      const page = await rs.deps.store.list(prefix, {
        limit: limit > 0 ? Math.max(want, 100) : 0,
        continue: next,
        revision: next ? undefined : revision,
      });
      rv = page.revision;
      next = page.continue;
      remaining = page.remaining;
      for (let i = 0; i < page.kvs.length; i++) {
        const obj = rs.view(decodeObject(page.kvs[i]!));
        if (!filter.matches(obj)) continue;
        items.push(obj);
        if (limit > 0 && items.length === limit) {
          const leftInPage = page.kvs.length - 1 - i;
          if (leftInPage === 0) return finish(items, rv, next, filter, remaining);
          // The page ends inside the store's page: continue right after this key.
          const after = encodeContinueToken({
            revision: page.revision,
            afterKey: page.kvs[i]!.key,
          });
          return finish(items, rv, after, filter, (remaining ?? 0) + leftInPage);
        }
      }
    } while (next && (limit === 0 || items.length < limit));
  } catch (err) {
    if (isStoreError(err, 'Compacted')) {
      throw new StatusError(
        'Expired',
        token
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
          : `The resourceVersion for the provided list is too old.`,
      );
    }
    if (isStoreError(err, 'InvalidContinue')) throw badRequest('continue key is not valid');
    if (isStoreError(err, 'FutureRevision')) {
      throw new StatusError('Timeout', `Timeout: Too large resource version: ${revision}`, {
        retryAfterSeconds: 1,
      });
    }
    throw storeFailure(err);
  }
  return finish(items, rv, undefined, filter, undefined);
}

function finish(
  items: KubeObject[],
  revision: number,
  next: string | undefined,
  filter: ObjectFilter,
  remaining: number | undefined,
): ListResult {
  const result: ListResult = { items, resourceVersion: String(revision) };
  if (next) {
    result.continue = next;
    // Counting what is left is only exact without selectors (as in Kubernetes).
    if (filter.labels.length === 0 && filter.fields.length === 0 && remaining !== undefined) {
      result.remainingItemCount = remaining;
    }
  }
  return result;
}
