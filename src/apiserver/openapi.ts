import type { ResourceRegistry } from '../api/index.ts';
import { apiVersionOf } from '../api/index.ts';
import {
  buildOpenApiV3Document,
  buildOpenApiV3Index,
  openApiV3PathOf,
  serializeDocument,
} from '../api/openapi/index.ts';
import { openApiV2Json, openApiV2Protobuf, serializeOpenApiV2 } from '../api/openapi-v2/index.ts';

// /openapi/v3: an index of group/versions and one document per group/version, built from
// the registry on first request and kept (the registry changes only when kinds are added,
// which calls invalidate()).

interface Built {
  json: string;
  hash: string;
}

interface BuiltV2 {
  json: string;
  etag: string;
  protobuf: () => Buffer;
}

export class OpenApiDocuments {
  readonly #registry: ResourceRegistry;
  #docs = new Map<string, Built>();
  #v2: BuiltV2 | undefined;

  constructor(registry: ResourceRegistry) {
    this.#registry = registry;
  }

  invalidate(): void {
    this.#docs = new Map();
    this.#v2 = undefined;
  }

  #groupVersions(): string[] {
    return this.#registry.groups().flatMap((g) => g.versions.map((v) => apiVersionOf(g.group, v)));
  }

  #resourcesOf(gv: string) {
    const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
    return this.#registry.resourcesOf(group, version).map((t) => ({
      kind: t.kind,
      plural: t.resource,
      namespaced: t.namespaced,
      verbs: t.verbs,
      subresources: t.subresources,
    }));
  }

  /**
   * The swagger 2.0 document of every group/version. kubectl 1.27 and 1.28 read it (as
   * gnostic protobuf) for explain and schema validation; newer ones read v3.
   */
  v2(): BuiltV2 {
    if (!this.#v2) {
      const doc = openApiV2Json(
        Object.fromEntries(this.#groupVersions().map((gv) => [gv, this.#resourcesOf(gv)])),
      );
      const { json, etag } = serializeOpenApiV2(doc);
      let pb: Buffer | undefined;
      this.#v2 = { json, etag, protobuf: () => (pb ??= openApiV2Protobuf(doc)) };
    }
    return this.#v2;
  }

  #build(gv: string): Built {
    let doc = this.#docs.get(gv);
    if (!doc) {
      const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
      doc = serializeDocument(buildOpenApiV3Document({ group, version }, this.#resourcesOf(gv)));
      this.#docs.set(gv, doc);
    }
    return doc;
  }

  index() {
    return buildOpenApiV3Index(this.#groupVersions(), (gv) => this.#build(gv).hash);
  }

  /** `path` is `api/v1` or `apis/apps/v1`. */
  document(path: string): Built | undefined {
    const gv = this.#groupVersions().find((g) => openApiV3PathOf(g) === path);
    return gv ? this.#build(gv) : undefined;
  }
}
