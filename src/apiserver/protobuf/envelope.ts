// The Kubernetes protobuf envelope: the magic bytes `k8s\0`, then a runtime.Unknown
//   { 1: typeMeta { 1: apiVersion, 2: kind }, 2: raw, 3: contentEncoding, 4: contentType }
// whose `raw` is the object's message without its TypeMeta.
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { ProtobufDecodeError, ProtobufEncodeError } from './errors.ts';
import { messageForKind } from './schema.ts';
import { WireReader, WireType, WireWriter } from './wire.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from('k8s\0', 'latin1');

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as its JSON form, apiVersion and kind included. */
  object: Record<string, unknown>;
}

/** Decodes a request body; throws only ProtobufDecodeError. */
export function decodeProtobufObject(body: Uint8Array): DecodedObject {
  if (body.length < MAGIC.length || !MAGIC.equals(body.subarray(0, MAGIC.length))) {
    throw new ProtobufDecodeError('not a Kubernetes protobuf envelope (missing k8s\\0 magic)');
  }
  const reader = new WireReader(body.subarray(MAGIC.length), MAGIC.length);
  let apiVersion = '';
  let kind = '';
  let raw = new WireReader(new Uint8Array(0), body.length);
  let contentEncoding = '';
  while (!reader.done) {
    const at = reader.offset;
    const { field, wireType } = reader.tag();
    if (field > 4) {
      reader.skip(wireType);
      continue;
    }
    if (wireType !== WireType.bytes) {
      throw new ProtobufDecodeError(
        `protobuf body: envelope field ${field} at byte ${at} has wire type ${wireType}`,
      );
    }
    if (field === 1) {
      const typeMeta = reader.message();
      while (!typeMeta.done) {
        const { field: f, wireType: w } = typeMeta.tag();
        if (f === 1 && w === WireType.bytes) apiVersion = typeMeta.string();
        else if (f === 2 && w === WireType.bytes) kind = typeMeta.string();
        else typeMeta.skip(w);
      }
    } else if (field === 2) raw = reader.message();
    else if (field === 3) contentEncoding = reader.string();
    else reader.string(); // contentType: empty, or the protobuf type itself
  }
  if (contentEncoding !== '') {
    throw new ProtobufDecodeError(
      `protobuf body: unsupported contentEncoding ${JSON.stringify(contentEncoding)}`,
    );
  }
  const message = messageForKind(apiVersion, kind);
  if (!message) {
    throw new ProtobufDecodeError(
      `protobuf body: unknown kind ${apiVersion || '(none)'} ${kind || '(none)'}`,
    );
  }
  const fields = decodeMessage(raw, message, 1) as Record<string, unknown>;
  return { apiVersion, kind, object: { apiVersion, kind, ...fields } };
}

/** Encodes an object with apiVersion and kind; throws ProtobufEncodeError if it does not fit. */
export function encodeProtobufObject(obj: {
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}): Buffer {
  const { apiVersion, kind, ...fields } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new ProtobufEncodeError('object needs string apiVersion and kind');
  }
  const message = messageForKind(apiVersion, kind);
  if (!message) throw new ProtobufEncodeError(`no protobuf schema for ${apiVersion} ${kind}`);
  const raw = encodeMessage(fields, message, kind);
  const typeMeta = new WireWriter()
    .tag(1, WireType.bytes)
    .string(apiVersion)
    .tag(2, WireType.bytes)
    .string(kind);
  const unknown = new WireWriter()
    .tag(1, WireType.bytes)
    .bytes(typeMeta.finish())
    .tag(2, WireType.bytes)
    .bytes(raw)
    .tag(3, WireType.bytes)
    .string('')
    .tag(4, WireType.bytes)
    .string('');
  return Buffer.concat([MAGIC, unknown.finish()]);
}
