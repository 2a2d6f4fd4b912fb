// Resolves the generated tables into per-message schemas, and apiVersion/kind into messages.
import { MESSAGES, STRING_LIST_MESSAGES } from './tables.generated.ts';

export type ScalarType =
  'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'float32' | 'float64';

/** A field's value type: a scalar, or a message named by its qualified key (`core/v1.Pod`). */
export type ValueType =
  { scalar: ScalarType; message?: undefined } | { message: string; scalar?: undefined };

export interface FieldSchema {
  number: number;
  /** JSON name; empty for inline fields, whose message's fields are flattened into the parent. */
  json: string;
  omitEmpty: boolean;
  inline: boolean;
  /** `json:"-"`: on the wire, never in JSON. */
  hidden: boolean;
  /** A Go pointer: absent unless set, and kept in JSON even when zero. */
  pointer: boolean;
  repeated: boolean;
  value: ValueType;
  /** Set for maps: the key type; `value` is then the map's value type. */
  mapKey?: ScalarType;
}

/**
 * How a message is represented in JSON. `struct` is an object of its fields; the others are
 * Go types with their own JSON form.
 */
export type MessageForm =
  | 'struct'
  | 'time'
  | 'microTime'
  | 'duration'
  | 'quantity'
  | 'intOrString'
  | 'rawJson'
  | 'stringList';

export interface MessageSchema {
  key: string;
  form: MessageForm;
  /** In field-number order. */
  fields: readonly FieldSchema[];
  byNumber: ReadonlyMap<number, FieldSchema>;
}

const SPECIAL_FORMS: Readonly<Record<string, MessageForm>> = {
  'apis/meta/v1.Time': 'time',
  'apis/meta/v1.MicroTime': 'microTime',
  'apis/meta/v1.Duration': 'duration',
  'api/resource.Quantity': 'quantity',
  'api/resource.QuantityValue': 'quantity',
  'util/intstr.IntOrString': 'intOrString',
  'runtime.RawExtension': 'rawJson',
  'apis/meta/v1.FieldsV1': 'rawJson',
  ...Object.fromEntries(STRING_LIST_MESSAGES.map((key) => [key, 'stringList' as const])),
};

const SCALARS = new Set<string>([
  'string',
  'bytes',
  'bool',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'float32',
  'float64',
]);

const schemas = new Map<string, MessageSchema>();

/** The schema of a message by qualified key; throws if the tables do not have it. */
export function messageSchema(key: string): MessageSchema {
  const cached = schemas.get(key);
  if (cached) return cached;
  const dot = key.lastIndexOf('.');
  const pkg = key.slice(0, dot);
  const rows = MESSAGES[pkg]?.[key.slice(dot + 1)];
  if (!rows) throw new Error(`no protobuf message ${key}`);
  const fields = rows.map(([number, tag, type]) => parseField(number, tag, type, pkg));
  const schema: MessageSchema = {
    key,
    form: SPECIAL_FORMS[key] ?? 'struct',
    fields,
    byNumber: new Map(fields.map((f) => [f.number, f])),
  };
  schemas.set(key, schema);
  return schema;
}

function parseField(number: number, tag: string, type: string, pkg: string): FieldSchema {
  const [json = '', ...options] = tag.split(',');
  const field: FieldSchema = {
    number,
    json,
    omitEmpty: options.includes('omitempty'),
    inline: options.includes('inline'),
    hidden: json === '-' && options.length === 0,
    pointer: type.startsWith('*'),
    repeated: type.startsWith('[]'),
    value: valueType(type.replace(/^(\*|\[\])/, ''), pkg),
  };
  const map = /^map\[(\w+)\](.+)$/.exec(type);
  if (map) {
    field.mapKey = map[1] as ScalarType;
    field.value = valueType(map[2]!, pkg);
  }
  return field;
}

function valueType(name: string, pkg: string): ValueType {
  if (SCALARS.has(name)) return { scalar: name as ScalarType };
  return { message: name.includes('.') ? name : `${pkg}.${name}` };
}

/** Package key of each API group: the core group is '', `meta.k8s.io` holds the options kinds. */
const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'core',
  'meta.k8s.io': 'apis/meta',
  'rbac.authorization.k8s.io': 'rbac',
  'flowcontrol.apiserver.k8s.io': 'flowcontrol',
  'internal.apiserver.k8s.io': 'apiserverinternal',
};

/** Kinds every group version accepts (metav1.AddToGroupVersion registers them everywhere). */
const META_KINDS = new Set([
  'DeleteOptions',
  'CreateOptions',
  'UpdateOptions',
  'PatchOptions',
  'GetOptions',
  'ListOptions',
  'WatchEvent',
  'Status',
]);

/**
 * The message of a top-level object, e.g. `apps/v1` `Deployment` → `apps/v1.Deployment`, or
 * undefined when wharf has no protobuf schema for it (custom resources, beta versions).
 */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const pkg =
    GROUP_PACKAGES[group] ??
    (!group.includes('.') ? group : group.endsWith('.k8s.io') ? group.split('.')[0] : undefined);
  if (pkg === undefined || !/^v\d+\w*$/.test(version)) return undefined;
  const own = MESSAGES[`${pkg}/${version}`]?.[kind];
  // Only objects: messages whose first field is their ObjectMeta/ListMeta.
  if (own && (own[0]?.[1].split(',')[0] === 'metadata' || META_KINDS.has(kind))) {
    return `${pkg}/${version}.${kind}`;
  }
  if (META_KINDS.has(kind) && version === 'v1') return `apis/meta/v1.${kind}`;
  return undefined;
}
