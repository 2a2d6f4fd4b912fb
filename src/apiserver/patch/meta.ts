import type { ResourceType } from '../../api/index.ts';
import { definitionForKind, patchMetaFor } from '../../api/openapi/index.ts';
import type { ListLookup, ListSemantics } from './field-set.ts';
import type { PatchMetaLookup } from './strategic-merge.ts';

// Where strategic merge patch and server-side apply learn how each field merges: the
// Kubernetes OpenAPI definitions of the kind. Answers are memoized per kind and path.

const cache = new Map<string, ReturnType<typeof patchMetaFor>>();

function metaOf(type: ResourceType, path: string[]) {
  const key = `${type.group}/${type.version}/${type.kind}:${path.join('.')}`;
  if (!cache.has(key)) {
    const definition = definitionForKind(type.group, type.version, type.kind);
    cache.set(key, definition ? patchMetaFor(definition, path) : undefined);
  }
  return cache.get(key);
}

export function patchMetaLookup(type: ResourceType): PatchMetaLookup {
  return (path) => {
    const meta = metaOf(type, path);
    if (!meta) return undefined;
    return { strategy: meta.strategies.join(','), mergeKey: meta.mergeKey };
  };
}

export function listLookup(type: ResourceType): ListLookup {
  return (path): ListSemantics | undefined => {
    const meta = metaOf(type, path);
    if (!meta?.listType) return undefined;
    return {
      listType: meta.listType,
      keys: meta.listMapKeys ?? (meta.mergeKey ? [meta.mergeKey] : undefined),
    };
  };
}
