import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { SpdyProtocolError } from './frames.ts';

// SPDY/3 name/value header blocks (§2.6.10): a 32-bit pair count, then for each pair a
// 32-bit length and the lower-case name, a 32-bit length and the value (several values are
// joined by NUL). On the wire every block is compressed, and all blocks in one direction of a
// connection form ONE zlib stream seeded with the SPDY dictionary, each block ending in a sync
// flush. So blocks must be compressed and inflated strictly in frame order.

export type SpdyHeaders = Map<string, string[]>;

/** Guards against a small compressed block that inflates without bound. */
const MAX_HEADER_BLOCK = 256 * 1024;

export function encodeHeaderBlock(headers: Iterable<[string, string | string[]]>): Buffer {
  const parts: Buffer[] = [];
  let count = 0;
  const lengthPrefixed = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const [name, value] of headers) {
    lengthPrefixed(name.toLowerCase());
    lengthPrefixed(Array.isArray(value) ? value.join('\0') : value);
    count++;
  }
  const countWord = Buffer.allocUnsafe(4);
  countWord.writeUInt32BE(count);
  return Buffer.concat([countWord, ...parts]);
}

/** Throws `SpdyProtocolError` unless `block` is exactly one well-formed header block. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let offset = 0;
  const take = (): string => {
    if (offset + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new SpdyProtocolError('truncated header block');
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  offset = 4;
  const headers: SpdyHeaders = new Map();
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    const values = take().split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  if (offset !== block.length) throw new SpdyProtocolError('trailing bytes after header block');
  return headers;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Writes the outgoing zlib stream using only stored (uncompressed) deflate blocks. That is
 * valid zlib any SPDY peer inflates, it keeps compression synchronous so frames go out in the
 * order they are made, and it leaks nothing through compression ratios (CRIME). The only
 * blocks this side sends are a few empty SYN_REPLYs, so nothing is lost by not compressing.
 */
export class HeaderCompressor {
  #started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      // CMF 0x78 (deflate, 32 KiB window); FLG 0x20 sets FDICT, and 0x7820 is divisible by
      // 31 as the check bits require. The dictionary's Adler-32 follows.
      const header = Buffer.from([0x78, 0x20, 0, 0, 0, 0]);
      header.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
      parts.push(header);
      this.#started = true;
    }
    for (let offset = 0; offset < block.length; offset += 0xffff) {
      parts.push(storedBlock(block.subarray(offset, offset + 0xffff)));
    }
    // An empty stored block ends every header block, as zlib's sync flush does. It is not
    // optional: Go's inflater hands out a stored block's bytes only on reaching the next
    // block header, and without one here it would read past the frame and fail for good.
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** A non-final stored deflate block: BTYPE=00, then LEN and its ones' complement (LE). */
function storedBlock(data: Buffer): Buffer {
  const header = Buffer.from([0, 0, 0, 0, 0]);
  header.writeUInt16LE(data.length, 1);
  header.writeUInt16LE(~data.length & 0xffff, 3);
  return Buffer.concat([header, data]);
}

/** Inflates the peer's header blocks; `decompress` must be called in frame order. */
export class HeaderDecompressor {
  readonly #inflate: zlib.Inflate;
  #output: Buffer[] = [];
  #outputLength = 0;
  /** One entry per write in flight, settled in write order. */
  #waiting: Array<{ resolve: (block: Buffer) => void; reject: (err: Error) => void }> = [];
  #failure: SpdyProtocolError | undefined;

  constructor() {
    // A sync flush on every write makes each write's callback mark the end of one block.
    this.#inflate = zlib.createInflate({
      dictionary: SPDY3_DICTIONARY,
      flush: zlib.constants.Z_SYNC_FLUSH,
    });
    // Flowing mode: zlib pushes a block's output before it calls that write's callback.
    this.#inflate.on('data', (chunk: Buffer) => {
      this.#output.push(chunk);
      this.#outputLength += chunk.length;
      if (this.#outputLength > MAX_HEADER_BLOCK) {
        this.#inflate.destroy(new SpdyProtocolError('header block too large'));
      }
    });
    // After an error zlib calls no further write callbacks, so the waiters are failed here.
    this.#inflate.on('error', (err: Error) => {
      this.#failure ??=
        err instanceof SpdyProtocolError
          ? err
          : new SpdyProtocolError(`inflating header block: ${err.message}`);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    });
  }

  decompress(compressed: Buffer): Promise<Buffer> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (compressed.length === 0) {
      return Promise.reject(new SpdyProtocolError('empty compressed header block'));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#inflate.write(compressed, (err) => {
        if (err || this.#inflate.destroyed) return; // the 'error' listener rejects
        const waiter = this.#waiting.shift();
        const block = Buffer.concat(this.#output);
        this.#output = [];
        this.#outputLength = 0;
        waiter?.resolve(block);
      });
    });
  }

  close(): void {
    this.#failure ??= new SpdyProtocolError('connection closed');
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    this.#inflate.destroy();
  }
}
