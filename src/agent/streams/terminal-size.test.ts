import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTerminalSize, ResizeEvents, TerminalSizeDecoder } from './terminal-size.ts';
import type { TerminalSize } from './types.ts';

describe('terminal sizes', () => {
  const cases: Array<[string, TerminalSize | undefined]> = [
    ['{"Width":80,"Height":24}', { width: 80, height: 24 }],
    ['{"Height":50,"Width":200}', { width: 200, height: 50 }],
    ['{"Width":0,"Height":0}', { width: 0, height: 0 }],
    ['{"Width":80}', undefined],
    ['{"Width":-1,"Height":24}', undefined],
    ['{"Width":1.5,"Height":24}', undefined],
    ['{"Width":70000,"Height":24}', undefined],
    ['[80,24]', undefined],
    ['not json', undefined],
  ];
  for (const [json, expected] of cases) {
    it(`parses ${json}`, () => assert.deepEqual(parseTerminalSize(json), expected));
  }

  it('cuts a byte stream of objects at any point, skipping invalid ones', () => {
    const text =
      '{"Width":80,"Height":24}\n{"Width":"x"}\n {"Width":100,"Height":30}{"Width":1,"Height":2}\n';
    for (const step of [1, 3, 7, text.length]) {
      const decoder = new TerminalSizeDecoder();
      const sizes: TerminalSize[] = [];
      for (let i = 0; i < text.length; i += step) {
        sizes.push(...decoder.push(Buffer.from(text.slice(i, i + step))));
      }
      assert.deepEqual(sizes, [
        { width: 80, height: 24 },
        { width: 100, height: 30 },
        { width: 1, height: 2 },
      ]);
    }
  });

  it('drops an object that never ends rather than buffering without bound', () => {
    const decoder = new TerminalSizeDecoder();
    assert.deepEqual(decoder.push(Buffer.from('{"Width":' + ' '.repeat(5000))), []);
    assert.deepEqual(decoder.push(Buffer.from('{"Width":3,"Height":4}')), [
      { width: 3, height: 4 },
    ]);
  });

  it('replays the latest size to a listener that joins late', () => {
    const events = new ResizeEvents();
    events.emit({ width: 1, height: 1 });
    events.emit({ width: 2, height: 2 });
    const seen: TerminalSize[] = [];
    const stop = events.listen((size) => seen.push(size));
    events.emit({ width: 3, height: 3 });
    stop();
    events.emit({ width: 4, height: 4 });
    assert.deepEqual(seen, [
      { width: 2, height: 2 },
      { width: 3, height: 3 },
    ]);
  });
});
