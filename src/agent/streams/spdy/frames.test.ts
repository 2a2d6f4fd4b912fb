import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  FrameParser,
  SpdyProtocolError,
  type Frame,
} from './frames.ts';

const block = Buffer.from('compressed-headers');

describe('SPDY/3 frames', () => {
  // Hex written out from the draft's layouts: 0x8003 (control, version 3), type, flags,
  // 24-bit length, then the fields.
  const vectors: Array<[string, Buffer, string, Frame]> = [
    [
      'DATA with FIN',
      encodeData(3, Buffer.from('hi'), true),
      '00000003 01000002 6869',
      { kind: 'data', streamId: 3, fin: true, data: Buffer.from('hi') },
    ],
    [
      'SYN_STREAM',
      encodeSynStream(1, block, { priority: 2 }),
      `80030001 0000001c 00000001 00000000 4000 ${block.toString('hex')}`,
      {
        kind: 'synStream',
        streamId: 1,
        associatedStreamId: 0,
        priority: 2,
        fin: false,
        unidirectional: false,
        headerBlock: block,
      },
    ],
    [
      'SYN_REPLY with FIN',
      encodeSynReply(5, block, true),
      `80030002 01000016 00000005 ${block.toString('hex')}`,
      { kind: 'synReply', streamId: 5, fin: true, headerBlock: block },
    ],
    [
      'RST_STREAM',
      encodeRstStream(7, 5),
      '80030003 00000008 00000007 00000005',
      { kind: 'rstStream', streamId: 7, status: 5 },
    ],
    [
      'SETTINGS',
      encodeSettings([{ id: 7, value: 65536 }]),
      '80030004 0000000c 00000001 00000007 00010000',
      { kind: 'settings', entries: [{ flags: 0, id: 7, value: 65536 }] },
    ],
    ['PING', encodePing(1), '80030006 00000004 00000001', { kind: 'ping', id: 1 }],
    [
      'GOAWAY',
      encodeGoAway(5, 0),
      '80030007 00000008 00000005 00000000',
      { kind: 'goAway', lastGoodStreamId: 5, status: 0 },
    ],
    [
      'WINDOW_UPDATE',
      encodeWindowUpdate(0, 32768),
      '80030009 00000008 00000000 00008000',
      { kind: 'windowUpdate', streamId: 0, delta: 32768 },
    ],
  ];

  for (const [name, bytes, hex, frame] of vectors) {
    it(`encodes and parses ${name}`, () => {
      assert.equal(bytes.toString('hex'), hex.replaceAll(' ', ''));
      assert.deepEqual(new FrameParser().push(bytes), [frame]);
    });
  }

  it('reassembles frames split at every byte, and splits frames sharing a chunk', () => {
    const stream = Buffer.concat(vectors.map(([, bytes]) => bytes));
    const expected = vectors.map(([, , , frame]) => frame);
    const parser = new FrameParser();
    const byteByByte = [...stream].flatMap((byte) => parser.push(Buffer.from([byte])));
    assert.deepEqual(byteByByte, expected);
    assert.deepEqual(new FrameParser().push(stream), expected);
  });

  it('passes over control frames of unknown types', () => {
    const credential = Buffer.from('8003000a000000020102', 'hex');
    assert.deepEqual(new FrameParser().push(credential), [
      { kind: 'unknown', type: 10, flags: 0, payload: Buffer.from([1, 2]) },
    ]);
  });

  it('rejects other SPDY versions, short frames and oversized frames', () => {
    const spdy2Ping = Buffer.from('8002000600000004' + '00000001', 'hex');
    assert.throws(() => new FrameParser().push(spdy2Ping), SpdyProtocolError);
    const shortRst = Buffer.from('8003000300000004' + '00000001', 'hex');
    assert.throws(() => new FrameParser().push(shortRst), SpdyProtocolError);
    assert.throws(() => new FrameParser(1024).push(encodeData(1, Buffer.alloc(2048), false)));
  });

  it('refuses to encode data beyond the 24-bit length', () => {
    assert.throws(() => encodeData(1, Buffer.alloc(0x1000000), false), RangeError);
  });
});
