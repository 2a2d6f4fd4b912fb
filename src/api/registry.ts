import { BUILTIN_RESOURCES } from './builtin.ts';
import type { ResourceType } from './resource-type.ts';

// Every served resource by group/version/resource and by kind. Groups and their versions
// keep registration order, which is the order discovery lists them in (core first, the
// preferred version of a group first).

export interface GroupVersions {
  group: string;
  /** Preferred first. */
  versions: string[];
}

export class ResourceRegistry {
  readonly #byGvr = new Map<string, ResourceType>();
  readonly #byGvk = new Map<string, ResourceType>();
  readonly #groups = new Map<string, string[]>();

  constructor(types: ResourceType[] = []) {
    for (const t of types) this.add(t);
  }

  add(type: ResourceType): void {
    const gvr = `${type.group}/${type.version}/${type.resource}`;
    if (this.#byGvr.has(gvr)) throw new Error(`resource ${gvr} is registered twice`);
    this.#byGvr.set(gvr, type);
    this.#byGvk.set(`${type.group}/${type.version}/${type.kind}`, type);
    const versions = this.#groups.get(type.group) ?? [];
    if (!versions.includes(type.version)) versions.push(type.version);
    this.#groups.set(type.group, versions);
  }

  get(group: string, version: string, resource: string): ResourceType | undefined {
    return this.#byGvr.get(`${group}/${version}/${resource}`);
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.#byGvk.get(`${group}/${version}/${kind}`);
  }

  /** Every resource of one group/version, in registration order. */
  resourcesOf(group: string, version: string): ResourceType[] {
    return [...this.#byGvr.values()].filter((t) => t.group === group && t.version === version);
  }

  groups(): GroupVersions[] {
    return [...this.#groups].map(([group, versions]) => ({ group, versions }));
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.#groups.get(group)?.includes(version) ?? false;
  }

  all(): ResourceType[] {
    return [...this.#byGvr.values()];
  }
}

export function builtinRegistry(): ResourceRegistry {
  return new ResourceRegistry(BUILTIN_RESOURCES);
}
