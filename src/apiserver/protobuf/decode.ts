// Protobuf message → JSON, with the JSON that Go's encoding/json would print for the Go value
// gogo-protobuf decodes: pointers kept when sent (even zero), zero values of omitempty fields
// dropped, value structs always present, absent slices/maps/pointers without omitempty null.
import { ProtobufDecodeError } from './errors.ts';
import {
  messageSchema,
  type FieldSchema,
  type MessageSchema,
  type ScalarType,
  type ValueType,
} from './schema.ts';
import { formatDuration, formatTime } from './time.ts';
import { WireReader, WireType } from './wire.ts';

/** Deepest message nesting accepted; real objects nest about 15 levels. */
export const MAX_DEPTH = 100;

type JsonObject = Record<string, unknown>;

const EMPTY = new Uint8Array(0);
const zeroValues = new Map<string, unknown>();

export function decodeMessage(reader: WireReader, key: string, depth: number): unknown {
  if (depth > MAX_DEPTH) {
    throw new ProtobufDecodeError(
      `protobuf body: nested deeper than ${MAX_DEPTH} at byte ${reader.offset}`,
    );
  }
  const schema = messageSchema(key);
  if (schema.form === 'struct') return decodeStruct(reader, schema, depth);
  const isEmpty = reader.done;
  const values = decodeStruct(reader, schema, depth, true);
  switch (schema.form) {
    case 'time':
    case 'microTime': {
      if (isEmpty) return null; // Go's zero time.Time, which marshals as null
      const text = formatTime(num(values[1]), num(values[2]), schema.form === 'microTime');
      if (text === undefined)
        throw new ProtobufDecodeError(`protobuf body: time out of range in ${key}`);
      return text;
    }
    case 'duration':
      return formatDuration(num(values[1]));
    case 'quantity':
      return typeof values[1] === 'string' && values[1] !== '' ? values[1] : '0';
    case 'intOrString':
      return values[1] === 1 ? (values[3] ?? '') : num(values[2]);
    case 'rawJson':
      return parseRawJson(values[1], key);
    case 'stringList':
      return values[1] ?? null;
  }
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

function parseRawJson(raw: unknown, key: string): unknown {
  if (typeof raw !== 'string' || raw === '') return null;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtobufDecodeError(`protobuf body: ${key} does not hold JSON`);
  }
}

/**
 * Reads the fields of one message. With `byNumber`, returns the raw values keyed by field
 * number (for the special forms); otherwise the Go-style JSON object.
 */
function decodeStruct(
  reader: WireReader,
  schema: MessageSchema,
  depth: number,
  byNumber = false,
): JsonObject {
  const values = new Map<FieldSchema, unknown>();
  while (!reader.done) {
    const at = reader.offset;
    const { field: number, wireType } = reader.tag();
    const field = schema.byNumber.get(number);
    if (!field) {
      reader.skip(wireType); // unknown fields are dropped, as Go does
      continue;
    }
    const context = { schema, field, at };
    if (field.mapKey) {
      expectWireType(wireType, WireType.bytes, context);
      const map = (values.get(field) as JsonObject | undefined) ?? {};
      const [entryKey, entryValue] = decodeMapEntry(reader.message(), field, depth + 1, schema);
      setKey(map, entryKey, entryValue);
      values.set(field, map);
    } else if (field.repeated) {
      const list = (values.get(field) as unknown[] | undefined) ?? [];
      const scalar = field.value.scalar;
      if (scalar && wireType === WireType.bytes && scalar !== 'string' && scalar !== 'bytes') {
        const packed = reader.message(); // packed repeated numbers
        while (!packed.done) list.push(decodeScalar(packed, wireTypeOf(scalar), scalar, context));
      } else {
        list.push(decodeValue(reader, wireType, field.value, depth, context));
      }
      values.set(field, list);
    } else {
      values.set(field, decodeValue(reader, wireType, field.value, depth, context));
    }
  }
  if (byNumber) return Object.fromEntries([...values].map(([f, v]) => [f.number, v]));
  return toJson(schema, values, depth);
}

function toJson(
  schema: MessageSchema,
  values: Map<FieldSchema, unknown>,
  depth: number,
): JsonObject {
  const out: JsonObject = {};
  for (const field of schema.fields) {
    if (field.hidden) continue;
    let value = values.get(field);
    if (value === undefined) {
      if (field.repeated || field.mapKey || field.pointer) {
        if (!field.omitEmpty && !field.inline) out[field.json] = null;
        continue;
      }
      value = field.value.message
        ? zeroValue(field.value.message, depth + 1)
        : zeroScalar(field.value.scalar);
    }
    if (field.inline) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) setKey(out, k, v);
      }
      continue;
    }
    const scalarField = field.value.scalar && !field.repeated && !field.mapKey && !field.pointer;
    const isZero = value === '' || value === 0 || value === false || value === null;
    if (scalarField && field.omitEmpty && isZero) continue;
    setKey(out, field.json, value);
  }
  return out;
}

function decodeMapEntry(
  reader: WireReader,
  field: FieldSchema,
  depth: number,
  schema: MessageSchema,
): [string, unknown] {
  let key: unknown = zeroScalar(field.mapKey!);
  let value: unknown;
  while (!reader.done) {
    const at = reader.offset;
    const { field: number, wireType } = reader.tag();
    const context = { schema, field, at };
    if (number === 1) key = decodeScalar(reader, wireType, field.mapKey!, context);
    else if (number === 2) value = decodeValue(reader, wireType, field.value, depth, context);
    else reader.skip(wireType);
  }
  if (value === undefined) {
    value = field.value.message
      ? zeroValue(field.value.message, depth + 1)
      : zeroScalar(field.value.scalar);
  }
  return [String(key), value];
}

interface Context {
  schema: MessageSchema;
  field: FieldSchema;
  at: number;
}

function decodeValue(
  reader: WireReader,
  wireType: number,
  type: ValueType,
  depth: number,
  context: Context,
): unknown {
  if (type.scalar) return decodeScalar(reader, wireType, type.scalar, context);
  expectWireType(wireType, WireType.bytes, context);
  return decodeMessage(reader.message(), type.message, depth + 1);
}

function decodeScalar(
  reader: WireReader,
  wireType: number,
  type: ScalarType,
  context: Context,
): unknown {
  expectWireType(wireType, wireTypeOf(type), context);
  switch (type) {
    case 'string':
      return reader.string();
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    case 'bool':
      return reader.bool();
    case 'int32':
      return reader.int32();
    case 'int64':
      return reader.int64();
    case 'uint32':
      return reader.varint() % 0x1_0000_0000;
    case 'uint64':
      return reader.varint();
    case 'float32':
    case 'float64': {
      const value = type === 'float32' ? reader.float() : reader.double();
      if (!Number.isFinite(value)) {
        throw new ProtobufDecodeError(`protobuf body: ${describe(context)} is not a finite number`);
      }
      return value;
    }
  }
}

function wireTypeOf(type: ScalarType): number {
  if (type === 'string' || type === 'bytes') return WireType.bytes;
  if (type === 'float64') return WireType.fixed64;
  if (type === 'float32') return WireType.fixed32;
  return WireType.varint;
}

function expectWireType(actual: number, expected: number, context: Context): void {
  if (actual !== expected) {
    throw new ProtobufDecodeError(
      `protobuf body: ${describe(context)} has wire type ${actual}, want ${expected}`,
    );
  }
}

const describe = ({ schema, field, at }: Context) =>
  `field ${field.number} (${field.json || 'inline'}) of ${schema.key} at byte ${at}`;

function zeroScalar(type: ScalarType | undefined): unknown {
  if (type === 'string' || type === 'bytes') return type === 'string' ? '' : null;
  return type === 'bool' ? false : 0;
}

/** The JSON of a message's Go zero value, e.g. `{}` for most structs, null for Time. */
function zeroValue(key: string, depth: number): unknown {
  if (!zeroValues.has(key)) zeroValues.set(key, decodeMessage(new WireReader(EMPTY), key, depth));
  return structuredClone(zeroValues.get(key));
}

/** Sets a key even when it is `__proto__`, which plain assignment would not. */
function setKey(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
