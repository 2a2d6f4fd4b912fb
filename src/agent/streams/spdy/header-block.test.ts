import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { SpdyProtocolError } from './frames.ts';
import {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderCompressor,
  HeaderDecompressor,
} from './header-block.ts';

// Header blocks as kubectl 1.27's framer (Go, zlib level 9, the SPDY dictionary, a sync flush
// per block) compressed them when opening its exec streams, captured from the wire: one zlib
// stream across the three SYN_STREAMs.
const KUBECTL_SYN_STREAM_BLOCKS = [
  ['78f9e3c6a7c26260606004a7b392a2d4c45c6851c29a0a0a6800000000ffff', 'error'],
  ['c22ac5565c92925f5a02000000ffff', 'stdout'],
  ['c229975a5404000000ffff', 'stderr'],
] as const;

describe('SPDY header blocks', () => {
  it('encodes names lower-case and joins several values with NUL', () => {
    const block = encodeHeaderBlock([
      ['StreamType', 'data'],
      ['x-list', ['a', 'b']],
    ]);
    assert.equal(
      block.toString('hex'),
      '00000002' +
        '0000000a' + Buffer.from('streamtype').toString('hex') +
        '00000004' + Buffer.from('data').toString('hex') +
        '00000006' + Buffer.from('x-list').toString('hex') +
        '00000003' + Buffer.from('a\0b').toString('hex'),
    ); // prettier-ignore
    assert.deepEqual(
      decodeHeaderBlock(block),
      new Map([
        ['streamtype', ['data']],
        ['x-list', ['a', 'b']],
      ]),
    );
  });

  it('rejects truncated blocks and trailing bytes', () => {
    const block = encodeHeaderBlock([['port', '80']]);
    assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), SpdyProtocolError);
    assert.throws(() => decodeHeaderBlock(Buffer.concat([block, Buffer.of(0)])), SpdyProtocolError);
    assert.throws(() => decodeHeaderBlock(Buffer.alloc(2)), SpdyProtocolError);
  });

  it('builds the 1423-byte SPDY/3 dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
    assert.equal(SPDY3_DICTIONARY.subarray(-6).toString('latin1'), 'enq=0.');
  });

  it("inflates kubectl's compressed blocks with the dictionary", async () => {
    const decompressor = new HeaderDecompressor();
    for (const [hex, streamType] of KUBECTL_SYN_STREAM_BLOCKS) {
      const headers = decodeHeaderBlock(await decompressor.decompress(Buffer.from(hex, 'hex')));
      assert.deepEqual(headers, new Map([['streamtype', [streamType]]]));
    }
    decompressor.close();
  });

  it('compresses to stored blocks, each block ending in the sync-flush marker', () => {
    const compressor = new HeaderCompressor();
    // The zlib header names the dictionary by the Adler-32 kubectl's stream also carries.
    assert.equal(
      compressor.compress(encodeHeaderBlock([])).toString('hex'),
      '7820e3c6a7c2' + '000400fbff00000000' + '000000ffff',
    );
    assert.equal(
      compressor.compress(encodeHeaderBlock([])).toString('hex'),
      '000400fbff00000000' + '000000ffff',
    );
  });

  it('round-trips a sequence of blocks, including ones larger than a stored block', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const blocks = [
      encodeHeaderBlock([['streamtype', 'error']]),
      encodeHeaderBlock([]),
      encodeHeaderBlock([['cookie', 'x'.repeat(150_000)]]),
      encodeHeaderBlock([['port', '8080']]),
    ];
    const stream: Buffer[] = [];
    for (const block of blocks) {
      const compressed = compressor.compress(block);
      stream.push(compressed);
      assert.deepEqual(await decompressor.decompress(compressed), block);
    }
    // Plain zlib reads the whole stream too: it is valid beyond this package's inflater.
    const inflated = zlib.inflateSync(Buffer.concat(stream), {
      dictionary: SPDY3_DICTIONARY,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    assert.deepEqual(inflated, Buffer.concat(blocks));
    decompressor.close();
  });

  it('inflates blocks deflated by zlib with the dictionary and a sync flush per block', async () => {
    const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
    const decompressor = new HeaderDecompressor();
    for (const port of ['80', '443', '8080']) {
      const block = encodeHeaderBlock([
        ['streamtype', 'data'],
        ['port', port],
      ]);
      const compressed = await new Promise<Buffer>((resolve) => {
        const out: Buffer[] = [];
        const collect = (chunk: Buffer) => out.push(chunk);
        deflate.on('data', collect);
        deflate.write(block);
        deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          setImmediate(() => {
            deflate.off('data', collect);
            resolve(Buffer.concat(out));
          });
        });
      });
      assert.deepEqual(await decompressor.decompress(compressed), block);
    }
    deflate.close();
    decompressor.close();
  });

  it('fails on a block compressed against another dictionary, or inflating too far', async () => {
    const foreign = zlib.deflateSync(encodeHeaderBlock([]), { dictionary: Buffer.from('other') });
    await assert.rejects(new HeaderDecompressor().decompress(foreign), SpdyProtocolError);
    const bomb = zlib.deflateSync(Buffer.alloc(1024 * 1024), { dictionary: SPDY3_DICTIONARY });
    await assert.rejects(new HeaderDecompressor().decompress(bomb), SpdyProtocolError);
  });
});
