// Recovers Kubernetes definition names (`io.k8s.api.apps.v1.DeploymentSpec`) and
// group/version/kinds from the generated client's class names (`V1DeploymentSpec`).
//
// The generator drops the Go package from a name unless two packages collide
// (`CoreV1Event`, `EventsV1Event`), so the package of every other type is worked out:
//   1. a type served at a resource path (`/apis/apps/v1/deployments`, not a subresource)
//      is a kind of that group;
//   2. a name with a group prefix (`RbacV1Subject`) names its group;
//   3. the apimachinery types every group shares are listed below;
//   4. any other type belongs to the group whose kinds reach it, core first (core types
//      such as PodTemplateSpec are embedded by other groups, never the other way round).
// The few exceptions are listed in GROUP_OVERRIDES; the tests check the results.
import type { ApiOperation, Model } from './source.ts';
import type { GroupVersionKind } from './types.ts';

/** The pseudo-group of `io.k8s.apimachinery.pkg.apis.meta.v1`. */
const META = 'meta.apimachinery';

const META_TYPES = new Set([
  'V1APIGroup',
  'V1APIGroupList',
  'V1APIResource',
  'V1APIResourceList',
  'V1APIVersions',
  'V1Condition',
  'V1DeleteOptions',
  'V1FieldSelectorRequirement',
  'V1GroupVersionForDiscovery',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1ListMeta',
  'V1ManagedFieldsEntry',
  'V1ObjectMeta',
  'V1OwnerReference',
  'V1Preconditions',
  'V1ServerAddressByClientCIDR',
  'V1Status',
  'V1StatusCause',
  'V1StatusDetails',
  'V1WatchEvent',
]);

/** Kinds served only as subresources of other groups' resources, and core types only other groups embed. */
const GROUP_OVERRIDES: Record<string, string> = {
  V1Scale: 'autoscaling',
  V1Eviction: 'policy',
  V1TopologySelectorTerm: '',
  V1TopologySelectorLabelRequirement: '',
};

/** `Go package prefix` of a group's definitions, where it is not `io.k8s.api.<first label>`. */
const PACKAGE_OF_GROUP: Record<string, string> = {
  '': 'io.k8s.api.core',
  [META]: 'io.k8s.apimachinery.pkg.apis.meta',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
  'internal.apiserver.k8s.io': 'io.k8s.api.apiserverinternal',
};

export function packageOfGroup(group: string): string {
  return PACKAGE_OF_GROUP[group] ?? `io.k8s.api.${group.split('.')[0]}`;
}

const NAME_PATTERN = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/;

export interface NamedModel {
  definition: string;
  /** Set on kinds and their lists. */
  gvk?: GroupVersionKind;
}

/** Model class name → definition name and, for kinds, their group/version/kind. */
export function nameModels(
  models: Map<string, Model>,
  operations: ApiOperation[],
): Map<string, NamedModel> {
  const servedIn = kindsByGroup(operations, models);
  const answered = new Set(operations.map((op) => op.responseType));
  const groupOf = new Map<string, string>();
  for (const [name, group] of servedIn) groupOf.set(name, group);
  for (const [name, group] of Object.entries(GROUP_OVERRIDES)) groupOf.set(name, group);
  const prefixGroups = new Map<string, string>();
  for (const group of new Set(groupOf.values())) {
    const segment = packageOfGroup(group).split('.').at(-1) ?? '';
    prefixGroups.set(segment[0].toUpperCase() + segment.slice(1), group);
  }
  for (const name of models.keys()) {
    const prefix = name.match(NAME_PATTERN)?.[1];
    if (prefix && prefixGroups.has(prefix)) groupOf.set(name, prefixGroups.get(prefix)!);
    if (META_TYPES.has(name)) groupOf.set(name, META);
  }
  assignByReach(models, groupOf);

  const named = new Map<string, NamedModel>();
  for (const name of models.keys()) {
    if (name === 'VersionInfo') {
      named.set(name, { definition: 'io.k8s.apimachinery.pkg.version.Info' });
      continue;
    }
    const parts = name.match(NAME_PATTERN);
    const group = groupOf.get(name);
    if (!parts || group === undefined) throw new Error(`openapi: cannot place model ${name}`);
    const [, , version, kind] = parts;
    const version_ = version.toLowerCase();
    const entry: NamedModel = { definition: `${packageOfGroup(group)}.${version_}.${kind}` };
    if (answered.has(name) && hasTypeMeta(models.get(name)!)) {
      // Discovery documents, Status and DeleteOptions are registered in the core group.
      entry.gvk = { group: group === META ? '' : group, version: version_, kind };
    }
    named.set(name, entry);
  }
  return named;
}

function hasTypeMeta(model: Model): boolean {
  const fields = new Set(model.attributes.map((a) => a.baseName));
  return fields.has('apiVersion') && fields.has('kind');
}

/** Types answered at `/api/v1/<plural>[/{name}]` or `/apis/<g>/<v>/[namespaces/{namespace}/]<plural>[/{name}]`. */
function kindsByGroup(operations: ApiOperation[], models: Map<string, Model>): Map<string, string> {
  const result = new Map<string, string>();
  for (const { path, responseType } of operations) {
    if (!models.has(responseType) || META_TYPES.has(responseType)) continue;
    const m = path.match(/^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/(.*)$/);
    if (!m) continue;
    const rest = m[2].replace(/^namespaces\/\{namespace\}\/(?=.)/, '');
    if (!/^[a-z0-9]+(\/\{name\})?$/.test(rest)) continue;
    result.set(responseType, m[1] ?? '');
  }
  return result;
}

function referencedModels(model: Model): string[] {
  return model.attributes.flatMap((a) =>
    [...a.type.matchAll(/\b((?:[A-Z][a-z]+)?V\d\w*)\b/g)].map((m) => m[1]),
  );
}

function assignByReach(models: Map<string, Model>, groupOf: Map<string, string>): void {
  const reachedBy = new Map<string, Set<string>>();
  for (const [start, group] of groupOf) {
    if (group === META) continue;
    const queue = [start];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const model = models.get(queue.pop()!);
      if (!model) continue;
      for (const ref of referencedModels(model)) {
        if (seen.has(ref)) continue;
        seen.add(ref);
        queue.push(ref);
        if (!reachedBy.has(ref)) reachedBy.set(ref, new Set());
        reachedBy.get(ref)!.add(group);
      }
    }
  }
  for (const [name, groups] of reachedBy) {
    if (groupOf.has(name)) continue;
    if (groups.has('')) groupOf.set(name, '');
    else if (groups.size === 1) groupOf.set(name, [...groups][0]);
    else throw new Error(`openapi: ${name} is shared by groups ${[...groups].join(', ')}`);
  }
}
