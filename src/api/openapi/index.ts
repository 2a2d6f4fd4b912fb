// The Kubernetes 1.32 OpenAPI definitions, and what the API server derives from them:
// unknown-field checks, strategic-merge-patch metadata, and the /openapi/v3 documents.
export type { Definitions, GroupVersionKind, PatchMeta, ResourceInfo, Schema } from './types.ts';
export { definitionForKind, loadDefinitions } from './definitions.ts';
export { lookupField, patchMetaFor, type FieldLookup } from './patch-meta.ts';
export { findUnknownFields } from './unknown-fields.ts';
export {
  buildOpenApiV3Document,
  buildOpenApiV3Index,
  openApiV3PathOf,
  serializeDocument,
  type GroupVersion,
} from './document.ts';
