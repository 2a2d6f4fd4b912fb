import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PROTOBUF_CONTENT_TYPE,
  ProtobufDecodeError,
  ProtobufEncodeError,
  decodeProtobufObject,
  encodeProtobufObject,
} from './index.ts';
import { WireType, WireWriter } from './wire.ts';

const MAGIC = Buffer.from('k8s\0', 'latin1');

/** An envelope with the given fields, for bodies the encoder would not write. */
function envelope(fields: {
  apiVersion?: string;
  kind?: string;
  raw?: Buffer;
  contentEncoding?: string;
}): Buffer {
  const typeMeta = new WireWriter();
  if (fields.apiVersion !== undefined) typeMeta.tag(1, WireType.bytes).string(fields.apiVersion);
  if (fields.kind !== undefined) typeMeta.tag(2, WireType.bytes).string(fields.kind);
  const unknown = new WireWriter().tag(1, WireType.bytes).bytes(typeMeta.finish());
  if (fields.raw) unknown.tag(2, WireType.bytes).bytes(fields.raw);
  if (fields.contentEncoding !== undefined)
    unknown.tag(3, WireType.bytes).string(fields.contentEncoding);
  return Buffer.concat([MAGIC, unknown.finish()]);
}

const decodeError = (message: string | RegExp) => (e: unknown) =>
  e instanceof ProtobufDecodeError &&
  (typeof message === 'string' ? e.message === message : message.test(e.message));

test('content type', () => {
  assert.equal(PROTOBUF_CONTENT_TYPE, 'application/vnd.kubernetes.protobuf');
});

test('decode errors say what is wrong', () => {
  const missingMagic = 'not a Kubernetes protobuf envelope (missing k8s\\0 magic)';
  assert.throws(
    () => decodeProtobufObject(Buffer.from('{"kind":"Pod"}')),
    decodeError(missingMagic),
  );
  assert.throws(() => decodeProtobufObject(Buffer.from('k8s')), decodeError(missingMagic));
  assert.throws(
    () => decodeProtobufObject(envelope({ apiVersion: 'apps/v1', kind: 'Foo' })),
    decodeError('protobuf body: unknown kind apps/v1 Foo'),
  );
  assert.throws(
    () => decodeProtobufObject(envelope({ apiVersion: 'example.com/v1', kind: 'Widget' })),
    decodeError('protobuf body: unknown kind example.com/v1 Widget'),
  );
  assert.throws(
    () => decodeProtobufObject(envelope({})),
    decodeError('protobuf body: unknown kind (none) (none)'),
  );
  const body = encodeProtobufObject({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'foo' },
  });
  assert.throws(
    () => decodeProtobufObject(body.subarray(0, body.length - 3)),
    decodeError(/^protobuf body: truncated at byte \d+$/),
  );
  assert.throws(
    () =>
      decodeProtobufObject(
        envelope({ apiVersion: 'v1', kind: 'Namespace', contentEncoding: 'gzip' }),
      ),
    decodeError('protobuf body: unsupported contentEncoding "gzip"'),
  );
  // metadata (field 1 of Namespace) sent as a varint
  assert.throws(
    () =>
      decodeProtobufObject(
        envelope({ apiVersion: 'v1', kind: 'Namespace', raw: Buffer.from([0x08, 0x01]) }),
      ),
    decodeError(
      /^protobuf body: field 1 \(metadata\) of core\/v1.Namespace at byte \d+ has wire type 0, want 2$/,
    ),
  );
});

test('options kinds decode in any group version, and meta.k8s.io', () => {
  for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
    const body = encodeProtobufObject({
      apiVersion,
      kind: 'DeleteOptions',
      propagationPolicy: 'Orphan',
    });
    assert.deepEqual(decodeProtobufObject(body).object, {
      apiVersion,
      kind: 'DeleteOptions',
      propagationPolicy: 'Orphan',
    });
  }
});

test('an object without fields decodes to the JSON of its Go zero value', () => {
  const { object } = decodeProtobufObject(
    envelope({ apiVersion: 'apps/v1', kind: 'Deployment', raw: Buffer.alloc(0) }),
  );
  assert.deepEqual(object, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { creationTimestamp: null },
    spec: {
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: {},
    },
    status: {},
  });
});

test('unknown fields are skipped, as Go does', () => {
  const raw = Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x66, 0x6f, 0x6f, 0xf8, 0x07, 0x01]); // metadata.name, field 127
  const { object } = decodeProtobufObject(
    envelope({ apiVersion: 'v1', kind: 'ServiceAccount', raw }),
  );
  assert.deepEqual(object, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'foo', creationTimestamp: null },
  });
});

test('encode rejects objects that do not fit the schema', () => {
  const encodeError = (message: RegExp) => (e: unknown) =>
    e instanceof ProtobufEncodeError && message.test(e.message);
  assert.throws(
    () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Widget' }),
    encodeError(/no protobuf schema for v1 Widget/),
  );
  assert.throws(
    () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', spec: { containerz: [] } }),
    encodeError(/Pod.spec.containerz: unknown field of core\/v1.PodSpec/),
  );
  assert.throws(
    () =>
      encodeProtobufObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: '3' } }),
    encodeError(/Deployment.spec.replicas: expected an int32/),
  );
  assert.throws(
    () => encodeProtobufObject({ apiVersion: 'v1', kind: 'Secret', data: { a: 'not base64!' } }),
    encodeError(/expected base64 data/),
  );
});
