// JSON → protobuf message, writing what gogo-protobuf writes for the same Go value: value
// fields always (zero included), pointers only when set, map entries sorted by key.
import { ProtobufEncodeError } from './errors.ts';
import { messageSchema, type MessageSchema, type ScalarType, type ValueType } from './schema.ts';
import { parseDuration, parseTime } from './time.ts';
import { WireType, WireWriter } from './wire.ts';

const MAX_DEPTH = 100;
const jsonNames = new Map<string, ReadonlySet<string>>();

export function encodeMessage(
  value: unknown,
  key: string,
  path: string,
  depth = 0,
  checkKeys = true,
): Buffer {
  if (depth > MAX_DEPTH) throw new ProtobufEncodeError(`${path}: nested deeper than ${MAX_DEPTH}`);
  const schema = messageSchema(key);
  const w = new WireWriter();
  switch (schema.form) {
    case 'struct':
      encodeStruct(w, value ?? {}, schema, path, depth, checkKeys);
      break;
    case 'time':
    case 'microTime': {
      if (value === null || value === undefined) break;
      const time = typeof value === 'string' ? parseTime(value) : undefined;
      if (!time)
        throw new ProtobufEncodeError(`${path}: not an RFC 3339 time: ${JSON.stringify(value)}`);
      w.tag(1, WireType.varint).varint(time.seconds).tag(2, WireType.varint).varint(time.nanos);
      break;
    }
    case 'duration': {
      const ns = typeof value === 'string' ? parseDuration(value) : undefined;
      if (ns === undefined)
        throw new ProtobufEncodeError(`${path}: not a duration: ${JSON.stringify(value)}`);
      w.tag(1, WireType.varint).varint(ns);
      break;
    }
    case 'quantity':
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new ProtobufEncodeError(`${path}: not a quantity: ${JSON.stringify(value)}`);
      }
      w.tag(1, WireType.bytes).string(String(value));
      break;
    case 'intOrString': {
      const isString = typeof value === 'string';
      if (!isString && !Number.isInteger(value)) {
        throw new ProtobufEncodeError(
          `${path}: not an integer or string: ${JSON.stringify(value)}`,
        );
      }
      w.tag(1, WireType.varint).varint(isString ? 1 : 0);
      w.tag(2, WireType.varint).varint(isString ? 0 : (value as number));
      w.tag(3, WireType.bytes).string(isString ? value : '');
      break;
    }
    case 'rawJson':
      if (value !== null && value !== undefined)
        w.tag(1, WireType.bytes).string(JSON.stringify(value));
      break;
    case 'stringList':
      for (const item of asArray(value, path))
        w.tag(1, WireType.bytes).string(asString(item, path));
      break;
  }
  return w.finish();
}

function encodeStruct(
  w: WireWriter,
  value: unknown,
  schema: MessageSchema,
  path: string,
  depth: number,
  checkKeys: boolean,
): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtobufEncodeError(`${path}: expected an object for ${schema.key}`);
  }
  const obj = value as Record<string, unknown>;
  if (checkKeys) {
    const known = namesOf(schema);
    for (const k of Object.keys(obj)) {
      if (!known.has(k))
        throw new ProtobufEncodeError(`${path}.${k}: unknown field of ${schema.key}`);
    }
  }
  for (const field of schema.fields) {
    if (field.hidden) continue;
    const fieldPath = `${path}.${field.json}`;
    if (field.inline) {
      const message = field.value.message!;
      w.tag(field.number, WireType.bytes).bytes(
        encodeMessage(obj, message, path, depth + 1, false),
      );
      continue;
    }
    const v = obj[field.json];
    if (field.mapKey) {
      if (v === null || v === undefined) continue;
      if (typeof v !== 'object' || Array.isArray(v))
        throw new ProtobufEncodeError(`${fieldPath}: expected an object`);
      const map = v as Record<string, unknown>;
      for (const k of Object.keys(map).sort()) {
        const entry = new WireWriter();
        writeValue(entry, 1, { scalar: field.mapKey }, k, `${fieldPath}[${k}]`, depth);
        writeValue(entry, 2, field.value, map[k], `${fieldPath}[${k}]`, depth);
        w.tag(field.number, WireType.bytes).bytes(entry.finish());
      }
    } else if (field.repeated) {
      asArray(v, fieldPath).forEach((item, i) =>
        writeValue(w, field.number, field.value, item, `${fieldPath}[${i}]`, depth),
      );
    } else if (!field.pointer || (v !== null && v !== undefined)) {
      writeValue(w, field.number, field.value, v, fieldPath, depth);
    }
  }
}

/** JSON names a struct accepts, including those of its inline members. */
function namesOf(schema: MessageSchema): ReadonlySet<string> {
  let names = jsonNames.get(schema.key);
  if (!names) {
    const collect = (s: MessageSchema, into: Set<string>): Set<string> => {
      for (const f of s.fields) {
        if (f.inline && f.value.message) collect(messageSchema(f.value.message), into);
        else if (!f.hidden) into.add(f.json);
      }
      return into;
    };
    names = collect(schema, new Set());
    jsonNames.set(schema.key, names);
  }
  return names;
}

function writeValue(
  w: WireWriter,
  number: number,
  type: ValueType,
  v: unknown,
  path: string,
  depth: number,
): void {
  if (type.message !== undefined) {
    w.tag(number, WireType.bytes).bytes(encodeMessage(v, type.message, path, depth + 1));
    return;
  }
  writeScalar(w, number, type.scalar, v, path);
}

const INT_RANGES: Partial<Record<ScalarType, readonly [number, number]>> = {
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

function writeScalar(
  w: WireWriter,
  number: number,
  type: ScalarType,
  v: unknown,
  path: string,
): void {
  switch (type) {
    case 'string':
      w.tag(number, WireType.bytes).string(v === undefined || v === null ? '' : asString(v, path));
      return;
    case 'bytes': {
      if (v === undefined || v === null) return; // a nil []byte is not written
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
        throw new ProtobufEncodeError(`${path}: expected base64 data`);
      }
      w.tag(number, WireType.bytes).bytes(Buffer.from(v, 'base64'));
      return;
    }
    case 'bool':
      if (v !== undefined && v !== null && typeof v !== 'boolean') {
        throw new ProtobufEncodeError(`${path}: expected a boolean`);
      }
      w.tag(number, WireType.varint).varint(v ? 1 : 0);
      return;
    case 'float32':
    case 'float64': {
      const n = v ?? 0;
      if (typeof n !== 'number' || !Number.isFinite(n))
        throw new ProtobufEncodeError(`${path}: expected a number`);
      if (type === 'float32') w.tag(number, WireType.fixed32).float(n);
      else w.tag(number, WireType.fixed64).double(n);
      return;
    }
    default: {
      const n = v ?? 0;
      const [min, max] = INT_RANGES[type]!;
      if (!Number.isInteger(n) || (n as number) < min || (n as number) > max) {
        throw new ProtobufEncodeError(`${path}: expected an ${type}`);
      }
      w.tag(number, WireType.varint).varint(n as number);
    }
  }
}

function asArray(v: unknown, path: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ProtobufEncodeError(`${path}: expected an array`);
  return v;
}

function asString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ProtobufEncodeError(`${path}: expected a string`);
  return v;
}
