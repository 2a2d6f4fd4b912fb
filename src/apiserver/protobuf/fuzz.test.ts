// Bad bodies must fail with ProtobufDecodeError only: never another error, a hang or a
// stack overflow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from './decode.ts';
import { ProtobufDecodeError, decodeProtobufObject, encodeProtobufObject } from './index.ts';
import { fixtureBody, loadFixtures } from './testing/fixtures.ts';
import { SAMPLE_OBJECTS } from './testing/sample-objects.ts';
import { WireReader, WireType, WireWriter } from './wire.ts';

/** mulberry32: a small seeded generator, so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAGIC = Buffer.from('k8s\0', 'latin1');

test('5,000 random, truncated and mutated bodies fail only with ProtobufDecodeError', () => {
  const next = random(0x5eed);
  const int = (n: number) => Math.floor(next() * n);
  const seeds = [
    ...loadFixtures().captures.map(fixtureBody),
    ...SAMPLE_OBJECTS.map((o) => encodeProtobufObject(o)),
  ];
  const inputs: Buffer[] = [];
  while (inputs.length < 5000) {
    const seed = seeds[int(seeds.length)]!;
    switch (inputs.length % 5) {
      case 0: // random bytes, half of them behind the magic
        inputs.push(
          Buffer.concat([
            next() < 0.5 ? MAGIC : Buffer.alloc(0),
            Buffer.from(Array.from({ length: int(300) }, () => int(256))),
          ]),
        );
        break;
      case 1: // truncated
        inputs.push(seed.subarray(0, int(seed.length)));
        break;
      case 2: {
        // a few bytes changed
        const copy = Buffer.from(seed);
        for (let i = 0, n = 1 + int(4); i < n; i++) copy[int(copy.length)] = int(256);
        inputs.push(copy);
        break;
      }
      case 3: {
        // a byte changed to a length-like value, which makes nested reads run long
        const copy = Buffer.from(seed);
        copy[4 + int(copy.length - 4)] = [0x7f, 0xff, 0x80, 0x0a, 0x12][int(5)]!;
        inputs.push(copy);
        break;
      }
      default: // a slice spliced into another place
        inputs.push(
          Buffer.concat([seed.subarray(0, int(seed.length)), seed.subarray(int(seed.length))]),
        );
    }
  }
  const started = performance.now();
  let decoded = 0;
  for (const [i, input] of inputs.entries()) {
    try {
      decodeProtobufObject(input);
      decoded++;
    } catch (error) {
      if (!(error instanceof ProtobufDecodeError)) {
        assert.fail(`input ${i} (${input.toString('hex')}) threw ${String(error)}`);
      }
    }
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
  assert.ok(decoded > 0 && decoded < inputs.length, `${decoded} decoded`);
});

test('nesting is bounded', () => {
  // Deep garbage in an unknown field of the object is skipped without being parsed.
  let nested = Buffer.alloc(0);
  for (let i = 0; i < 10_000; i++)
    nested = Buffer.concat([Buffer.from([0x0a]), varint(nested.length), nested]);
  const pod = rawMessage(
    encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }),
  );
  const withGarbage = Buffer.concat([
    pod,
    Buffer.from([0xfa, 0x07]),
    varint(nested.length),
    nested,
  ]); // field 127
  assert.equal(decodeProtobufObject(envelope('v1', 'Pod', withGarbage)).object.kind, 'Pod');
  // No message of the tables contains itself, so the schema bounds the depth of real input;
  // past MAX_DEPTH (here: starting just below it) decoding stops with a decode error.
  const spec = rawMessage(
    encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c' }] } }),
  );
  assert.throws(
    () => decodeMessage(new WireReader(spec), 'core/v1.Pod', 99),
    (e: unknown) => e instanceof ProtobufDecodeError && /nested deeper than 100/.test(e.message),
  );
});

/** The object message inside an envelope (its `raw` field). */
function rawMessage(body: Buffer): Buffer {
  const reader = new WireReader(body.subarray(4));
  for (;;) {
    const { field, wireType } = reader.tag();
    if (field === 2) return Buffer.from(reader.bytes());
    reader.skip(wireType);
  }
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const typeMeta = new WireWriter()
    .tag(1, WireType.bytes)
    .string(apiVersion)
    .tag(2, WireType.bytes)
    .string(kind);
  const unknown = new WireWriter()
    .tag(1, WireType.bytes)
    .bytes(typeMeta.finish())
    .tag(2, WireType.bytes)
    .bytes(raw);
  return Buffer.concat([MAGIC, unknown.finish()]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
