import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ndjson } from './transport.ts';

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

it('ndjson decodes events split anywhere, even inside a multi-byte character', async () => {
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a', annotations: { note: 'héllo ☃ 🚢' } } } },
    { type: 'MODIFIED', object: { metadata: { name: 'b' } } },
    { type: 'DELETED', object: { metadata: { name: 'c' } } },
  ];
  const bytes = Buffer.from(events.map((e) => JSON.stringify(e) + '\n').join(''));
  for (let cut = 1; cut < bytes.length; cut++) {
    const out = [];
    for await (const e of ndjson(chunked(bytes, [cut, Math.min(bytes.length, cut + 7)])))
      out.push(e);
    assert.deepEqual(out, events, `cut at ${cut}`);
  }
  const oneByte = [];
  for await (const e of ndjson(
    chunked(
      bytes,
      [...Array(bytes.length - 1).keys()].map((i) => i + 1),
    ),
  ))
    oneByte.push(e);
  assert.deepEqual(oneByte, events);
});

it('ndjson accepts a last line without newline and skips blank lines', async () => {
  const out = [];
  for await (const e of ndjson(chunked(Buffer.from('\n{"a":1}\n\n{"b":2}'), [3]))) out.push(e);
  assert.deepEqual(out, [{ a: 1 }, { b: 2 }]);
});
