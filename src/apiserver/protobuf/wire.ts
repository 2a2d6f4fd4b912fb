// Protocol buffers wire format: varints, fixed-width numbers and length-delimited fields.
// The reader never reads past its end and reports truncation with a ProtobufDecodeError.
import { ProtobufDecodeError } from './errors.ts';

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const TWO_POW_32 = 0x1_0000_0000;

/** Reads one message; `base` is the offset of `buf` in the whole body, for error messages. */
export class WireReader {
  readonly #buf: Uint8Array;
  readonly #base: number;
  #pos = 0;

  constructor(buf: Uint8Array, base = 0) {
    this.#buf = buf;
    this.#base = base;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  /** Offset of the next byte within the whole body. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  /** Reads a field key; field numbers outside 1..2^29-1 and wire types 3/4/6/7 are rejected. */
  tag(): { field: number; wireType: number } {
    const at = this.offset;
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (
      field < 1 ||
      field > 0x1fff_ffff ||
      (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5)
    ) {
      throw new ProtobufDecodeError(`protobuf body: invalid field key ${key} at byte ${at}`);
    }
    return { field, wireType };
  }

  /** An unsigned varint of up to 64 bits as a number (exact up to 2^53). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.#byte();
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ProtobufDecodeError(`protobuf body: varint too long at byte ${this.offset}`);
  }

  /** A varint read as a two's-complement int64 (or int32, which is sign-extended on the wire). */
  int64(): number {
    const start = this.#pos;
    const value = this.varint();
    if (value <= Number.MAX_SAFE_INTEGER) return value;
    let big = 0n;
    for (let i = this.#pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.#buf[i]! & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  int32(): number {
    return this.int64() | 0;
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  fixed32(): number {
    const view = new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#take(4), 4);
    return view.getUint32(0, true);
  }

  double(): number {
    return new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#take(8), 8).getFloat64(
      0,
      true,
    );
  }

  float(): number {
    return new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#take(4), 4).getFloat32(
      0,
      true,
    );
  }

  fixed64(): number {
    const lo = this.fixed32();
    const hi = this.fixed32();
    return hi * TWO_POW_32 + lo;
  }

  /** A length-delimited field; the returned view shares memory with the body. */
  bytes(): Uint8Array {
    const length = this.varint();
    const start = this.#take(length);
    return this.#buf.subarray(start, start + length);
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  /** A reader over the next length-delimited field, positioned at its first byte. */
  message(): WireReader {
    const length = this.varint();
    const start = this.#take(length);
    return new WireReader(this.#buf.subarray(start, start + length), this.#base + start);
  }

  skip(wireType: number): void {
    if (wireType === WireType.varint) this.varint();
    else if (wireType === WireType.fixed64) this.#take(8);
    else if (wireType === WireType.fixed32) this.#take(4);
    else this.#take(this.varint());
  }

  #byte(): number {
    if (this.#pos >= this.#buf.length) this.#truncated();
    return this.#buf[this.#pos++]!;
  }

  /** Advances past `n` bytes and returns where they start. */
  #take(n: number): number {
    if (n > this.#buf.length - this.#pos) this.#truncated();
    const start = this.#pos;
    this.#pos += n;
    return start;
  }

  #truncated(): never {
    throw new ProtobufDecodeError(
      `protobuf body: truncated at byte ${this.#base + this.#buf.length}`,
    );
  }
}

/** Builds one message. Nested messages are built with their own writer and added as bytes. */
export class WireWriter {
  /** Finished parts, and the small writes since the last one. */
  readonly #parts: Uint8Array[] = [];
  #pending: number[] = [];

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** Non-negative integers up to 2^53; negative numbers as 10-byte two's complement. */
  varint(value: number): this {
    if (value < 0) {
      let big = BigInt.asUintN(64, BigInt(Math.trunc(value)));
      while (big >= 0x80n) {
        this.#pending.push(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      this.#pending.push(Number(big));
      return this;
    }
    let v = Math.trunc(value);
    while (v >= 0x80) {
      this.#pending.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.#pending.push(v);
    return this;
  }

  bytes(data: Uint8Array): this {
    return this.varint(data.length).raw(data);
  }

  string(value: string): this {
    return this.bytes(Buffer.from(value, 'utf8'));
  }

  fixed32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.raw(b);
  }

  fixed64(value: number): this {
    return this.fixed32(value % TWO_POW_32).fixed32(Math.floor(value / TWO_POW_32));
  }

  double(value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return this.raw(b);
  }

  float(value: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    return this.raw(b);
  }

  raw(data: Uint8Array): this {
    this.#flush();
    this.#parts.push(data);
    return this;
  }

  finish(): Buffer {
    this.#flush();
    return Buffer.concat(this.#parts);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#parts.push(Uint8Array.from(this.#pending));
    this.#pending = [];
  }
}
