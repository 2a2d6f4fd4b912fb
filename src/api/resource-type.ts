import type { Conversion } from './conversion.ts';
import type { KubeObject } from './types.ts';

// A served resource is data, not code: the API server, discovery, OpenAPI and kubectl's
// view of a kind all come from one ResourceType. Custom resources (a later issue) are
// added at run time by registering more of these.

export type Subresource =
  | 'status'
  | 'scale'
  | 'binding'
  | 'eviction'
  | 'log'
  | 'exec'
  | 'attach'
  | 'portforward'
  | 'proxy'
  | 'token'
  | 'finalize'
  | 'ephemeralcontainers';

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;

export interface ScaleSpec {
  /** JSON paths (dotted) of the replica counts and the selector. */
  specReplicas: string;
  statusReplicas: string;
  labelSelector: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** Plural, lower case: `deployments`. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: Subresource[];
  /**
   * Key prefix in the store, shared by every version of the resource; always
   * `/registry/<group, or core>/<resource>/`.
   */
  storagePrefix: string;
  /** spec and status are written through separate endpoints. */
  hasStatus: boolean;
  /** metadata.generation counts changes of everything but metadata and status. */
  tracksGeneration: boolean;
  scale?: ScaleSpec;
  /** Fields beyond metadata.name/namespace that list/watch field selectors accept. */
  fieldSelectors: Record<string, (obj: KubeObject) => string | undefined>;
  /** Fixes up a new object before validation (status reset, phase, …). */
  prepareForCreate?: (obj: KubeObject) => void;
  /** Canonicalizes every written object, new or updated (Secret stringData → data). */
  normalize?: (obj: KubeObject) => void;
  /** PUT of a missing object creates it (as Kubernetes allows for a few kinds). */
  allowCreateOnUpdate: boolean;
  /** A delete answers with the deleted object rather than a Status (pods and a few more). */
  returnDeletedObject: boolean;
  /** For a version that is not the storage version: how objects convert to and from it. */
  conversion?: Conversion;
}

export type ResourceTypeInput = Pick<ResourceType, 'group' | 'version' | 'kind'> &
  Partial<Omit<ResourceType, 'group' | 'version' | 'kind'>>;

/** Fills the conventional values a definition leaves out. */
export function defineResource(input: ResourceTypeInput): ResourceType {
  const resource = input.resource ?? pluralOf(input.kind);
  const subresources = input.subresources ?? [];
  return {
    listKind: `${input.kind}List`,
    singular: input.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: [...STANDARD_VERBS],
    storagePrefix: `/registry/${input.group === '' ? 'core' : input.group}/${resource}/`,
    hasStatus: subresources.includes('status'),
    tracksGeneration: false,
    fieldSelectors: {},
    allowCreateOnUpdate: false,
    returnDeletedObject: false,
    ...input,
    resource,
    subresources,
  };
}

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return lower + 'es';
  if (/[^aeiou]y$/.test(lower)) return lower.slice(0, -1) + 'ies';
  return lower + 's';
}
