// Encodes a swagger 2.0 document as the gnostic `openapi.v2.Document` protobuf
// (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto), the form kube-apiserver
// serves /openapi/v2 in and client-go decodes. Field numbers below are that file's.
//
// Objects are written in the document's key order, as gnostic compiles a JSON document
// node by node; proto3 defaults (empty strings, false, empty lists) are left out, as Go's
// proto.Marshal does. Vendor extensions (`x-…`) become NamedAny{name, Any{yaml}}: kubectl
// reads them back by parsing the YAML text, and no google.protobuf.Any is set.
//
// Keys the encoder does not know are a bug in the document builder, not data to drop:
// they throw.
import { stringify } from 'yaml';
import { WireType, WireWriter } from '../../apiserver/protobuf/wire.ts';
import type { OpenApiV2Document } from './document.ts';

type Value = unknown;
type Obj = Readonly<Record<string, Value>>;
/** Writes `value` as field `field`, or nothing for a proto3 default. */
type Encoder = (w: WireWriter, field: number, value: Value) => void;
/** JSON key → how and as which field number it is written. */
type Fields = Readonly<Record<string, readonly [Encoder, number]>>;

const str: Encoder = (w, field, value) => {
  if (typeof value !== 'string') throw new Error(`gnostic: expected a string, got ${typeof value}`);
  if (value !== '') w.tag(field, WireType.bytes).string(value);
};
const bool: Encoder = (w, field, value) => {
  if (typeof value !== 'boolean') throw new Error(`gnostic: expected a boolean, got ${value}`);
  if (value) w.tag(field, WireType.varint).varint(1);
};
const strings: Encoder = (w, field, value) => {
  for (const item of value as string[]) w.tag(field, WireType.bytes).string(item);
};
const child = (w: WireWriter, field: number, bytes: Uint8Array): void => {
  w.tag(field, WireType.bytes).bytes(bytes);
};

/** Writes the keys of `value` per `fields`; `x-…` keys go to `vendorExtension` when given. */
function encodeObject(
  what: string,
  value: Value,
  fields: Fields,
  vendorExtension?: number,
): Buffer {
  const w = new WireWriter();
  for (const [key, v] of Object.entries(value as Obj)) {
    const spec = fields[key];
    if (spec) spec[0](w, spec[1], v);
    else if (vendorExtension !== undefined && key.startsWith('x-')) {
      child(w, vendorExtension, namedAny(key, v));
    } else throw new Error(`gnostic: ${what} has unsupported key ${JSON.stringify(key)}`);
  }
  return w.finish();
}

/** A map as `repeated Named<T>{name = 1, value = 2}` in field `field`. */
function named(encode: (value: Value) => Uint8Array): Encoder {
  return (w, field, value) => {
    for (const [name, v] of Object.entries(value as Obj)) {
      const pair = new WireWriter().tag(1, WireType.bytes).string(name);
      child(w, field, pair.tag(2, WireType.bytes).bytes(encode(v)).finish());
    }
  };
}

/** A message field whose bytes `encode` makes. */
const message =
  (encode: (value: Value) => Uint8Array): Encoder =>
  (w, field, value) =>
    child(w, field, encode(value));

/** A message holding only `bytes` as field `field`: a oneof wrapper. */
const single = (field: number, bytes: Uint8Array): Buffer =>
  new WireWriter().tag(field, WireType.bytes).bytes(bytes).finish();

/** A message holding one field `field`, written by `encoder`: lists and maps. */
const wrap =
  (field: number, encoder: Encoder) =>
  (value: Value): Buffer => {
    const w = new WireWriter();
    encoder(w, field, value);
    return w.finish();
  };

// YAML text per extension value; the same few values recur thousands of times.
const yamlCache = new Map<string, Buffer>();

/** Any{yaml = 2}, the value as YAML text, as gnostic writes it. */
function encodeAny(value: Value): Buffer {
  const json = JSON.stringify(value);
  let any = yamlCache.get(json);
  if (!any) {
    // YAML 1.1 quoting, as kubectl parses with gopkg.in/yaml.v2 (`on`, `yes` are booleans);
    // keys sorted, as gnostic reads them from JSON kube-openapi marshalled from Go maps.
    any = wrap(2, str)(stringify(value, { version: '1.1', sortMapEntries: true }));
    yamlCache.set(json, any);
  }
  return any;
}
const anyValue = message(encodeAny);

/** NamedAny{name = 1, value = 2: Any}. */
function namedAny(name: string, value: Value): Buffer {
  const w = new WireWriter().tag(1, WireType.bytes).string(name);
  return w.tag(2, WireType.bytes).bytes(encodeAny(value)).finish();
}

// Schema. Its map and list wrappers: AdditionalPropertiesItem{oneof schema = 1 |
// boolean = 2}, TypeItem{repeated string value = 1}, ItemsItem{repeated Schema schema = 1},
// Properties{repeated NamedSchema additional_properties = 1}.
const encodeSchema = (schema: Value): Buffer => encodeObject('schema', schema, SCHEMA_FIELDS, 31);
const schema = message(encodeSchema);
const repeated =
  (encoder: Encoder): Encoder =>
  (w, field, value) => {
    for (const item of value as Value[]) encoder(w, field, item);
  };
/** A oneof member is written even when it holds its type's default (`false`). */
const oneofBool: Encoder = (w, field, value) => w.tag(field, WireType.varint).varint(value ? 1 : 0);
const SCHEMA_FIELDS: Fields = {
  $ref: [str, 1],
  format: [str, 2],
  title: [str, 3],
  description: [str, 4],
  default: [anyValue, 5],
  pattern: [str, 13],
  uniqueItems: [bool, 16],
  required: [strings, 19],
  enum: [repeated(anyValue), 20],
  additionalProperties: [
    message((v) => (typeof v === 'boolean' ? wrap(2, oneofBool)(v) : wrap(1, schema)(v))),
    21,
  ],
  type: [message((v) => wrap(1, strings)(typeof v === 'string' ? [v] : v)), 22],
  items: [message((v) => wrap(1, repeated(schema))(Array.isArray(v) ? v : [v])), 23],
  allOf: [repeated(schema), 24],
  properties: [message(wrap(1, named(encodeSchema))), 25],
  readOnly: [bool, 27],
  example: [anyValue, 30],
};

// ParametersItem{parameter = 1: Parameter{body_parameter = 1: BodyParameter |
// non_body_parameter = 2: NonBodyParameter{header = 1 | form_data = 2 | query = 3 | path = 4}}}
const BODY_FIELDS: Fields = {
  description: [str, 1],
  name: [str, 2],
  in: [str, 3],
  required: [bool, 4],
  schema: [schema, 5],
};
/** Query and form-data sub-schemas number alike; header and path ones have no field 5. */
const QUERY_FIELDS: Fields = {
  required: [bool, 1],
  in: [str, 2],
  description: [str, 3],
  name: [str, 4],
  type: [str, 6],
  format: [str, 7],
  uniqueItems: [bool, 20],
};
const PATH_FIELDS: Fields = {
  required: [bool, 1],
  in: [str, 2],
  description: [str, 3],
  name: [str, 4],
  type: [str, 5],
  format: [str, 6],
  uniqueItems: [bool, 19],
};
/** `in` → [NonBodyParameter field, sub-schema fields, its vendor_extension field]. */
const NON_BODY: Readonly<Record<string, readonly [number, Fields, number]>> = {
  header: [1, PATH_FIELDS, 22],
  formData: [2, QUERY_FIELDS, 23],
  query: [3, QUERY_FIELDS, 23],
  path: [4, PATH_FIELDS, 22],
};

function encodeParameter(parameter: Value): Buffer {
  const where = String((parameter as Obj).in);
  if (where === 'body') {
    return single(1, single(1, encodeObject('body parameter', parameter, BODY_FIELDS, 6)));
  }
  const spec = NON_BODY[where];
  if (!spec) throw new Error(`gnostic: parameter with unsupported in: ${where}`);
  const sub = encodeObject(`${where} parameter`, parameter, spec[1], spec[2]);
  return single(1, single(2, single(spec[0], sub)));
}
const parameters = repeated(message(encodeParameter));

// Responses{repeated NamedResponseValue response_code = 1}; ResponseValue{response = 1:
// Response{description = 1, schema = 2: SchemaItem{schema = 1}}}
const RESPONSE_FIELDS: Fields = {
  description: [str, 1],
  schema: [message(wrap(1, schema)), 2],
};
const responseValue = (response: Value): Buffer =>
  single(1, encodeObject('response', response, RESPONSE_FIELDS, 5));

const OPERATION_FIELDS: Fields = {
  tags: [strings, 1],
  summary: [str, 2],
  description: [str, 3],
  operationId: [str, 5],
  produces: [strings, 6],
  consumes: [strings, 7],
  parameters: [parameters, 8],
  responses: [message(wrap(1, named(responseValue))), 9],
  schemes: [strings, 10],
  deprecated: [bool, 11],
};
const operation = message((v) => encodeObject('operation', v, OPERATION_FIELDS, 13));

const PATH_ITEM_FIELDS: Fields = {
  $ref: [str, 1],
  get: [operation, 2],
  put: [operation, 3],
  post: [operation, 4],
  delete: [operation, 5],
  options: [operation, 6],
  head: [operation, 7],
  patch: [operation, 8],
  parameters: [parameters, 9],
};
const pathItem = (v: Value): Buffer => encodeObject('path item', v, PATH_ITEM_FIELDS, 10);

// SecurityDefinitionsItem{api_key_security = 2: ApiKeySecurity}; only API keys are served.
const API_KEY_FIELDS: Fields = {
  type: [str, 1],
  name: [str, 2],
  in: [str, 3],
  description: [str, 4],
};
function securityDefinition(value: Value): Buffer {
  const type = (value as Obj).type;
  if (type !== 'apiKey') throw new Error(`gnostic: unsupported security type ${String(type)}`);
  return single(2, encodeObject('security definition', value, API_KEY_FIELDS, 5));
}

const INFO_FIELDS: Fields = { title: [str, 1], version: [str, 2], description: [str, 3] };
const DOCUMENT_FIELDS: Fields = {
  swagger: [str, 1],
  info: [message((v) => encodeObject('info', v, INFO_FIELDS, 7)), 2],
  host: [str, 3],
  basePath: [str, 4],
  schemes: [strings, 5],
  consumes: [strings, 6],
  produces: [strings, 7],
  // Paths{repeated NamedPathItem path = 2}; Definitions{repeated NamedSchema … = 1}
  paths: [message(wrap(2, named(pathItem))), 8],
  definitions: [message(wrap(1, named(encodeSchema))), 9],
  // SecurityRequirement{repeated NamedStringArray … = 1}; StringArray{repeated value = 1}
  security: [repeated(message(wrap(1, named(wrap(1, strings))))), 12],
  securityDefinitions: [message(wrap(1, named(securityDefinition))), 13],
};

/** The gnostic protobuf encoding of `document`. */
export function encodeOpenApiV2(document: OpenApiV2Document): Buffer {
  return encodeObject('document', document, DOCUMENT_FIELDS, 16);
}
