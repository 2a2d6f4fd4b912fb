// The swagger 2.0 document at /openapi/v2, as JSON or as the gnostic protobuf that
// kubectl 1.27 and 1.28 read before `explain` and `create/apply --validate=strict`.
export {
  openApiV2Json,
  serializeOpenApiV2,
  type OpenApiV2Document,
  type ResourcesByGroupVersion,
} from './document.ts';
export { encodeOpenApiV2 as openApiV2Protobuf } from './gnostic.ts';
export {
  negotiateOpenApiV2,
  OPENAPI_V2_JSON_TYPE,
  OPENAPI_V2_PROTOBUF_TYPE,
  OPENAPI_V2_PROTOBUF_TYPE_DEPRECATED,
  type OpenApiV2Format,
} from './negotiate.ts';
