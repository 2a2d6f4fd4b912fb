// Reads, from a Go-built kubectl binary, the two facts the generator needs:
//  - the gzipped FileDescriptorProtos that gogo-protobuf registers for every k8s.io API
//    package (field numbers, proto names and types, gogoproto `nullable`/`casttype` options);
//  - the Go struct definitions of those types (field names and `json:"…"` tags), read from
//    the runtime type metadata, since only those say which fields are `omitempty`/`inline`.
// The layout is that of internal/abi in Go 1.22–1.24 on 64-bit little-endian ELF.
import { constants, inflateRawSync } from 'node:zlib';

export interface GoStructField {
  goName: string;
  embedded: boolean;
  tag: string;
}

export interface GoStruct {
  /** Import path of the defining package, e.g. `k8s.io/api/core/v1`. */
  pkgPath: string;
  /** Type name without the package qualifier, e.g. `Container`. */
  name: string;
  fields: GoStructField[];
}

const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
const KIND_STRUCT = 25;
const TFLAG_UNCOMMON = 1;
const TFLAG_EXTRA_STAR = 2;
const RTYPE_SIZE = 48;
const STRUCT_TYPE_SIZE = RTYPE_SIZE + 8 + 24;

/** Every embedded gzip member that inflates to a FileDescriptorProto named `*.proto`. */
export function extractFileDescriptors(bin: Buffer): Buffer[] {
  const found: Buffer[] = [];
  for (let i = bin.indexOf(GZIP_HEADER); i >= 0; i = bin.indexOf(GZIP_HEADER, i + 1)) {
    let data: Buffer;
    try {
      // Raw inflate of the one member after its 10-byte header: gunzip would run on into the
      // members that follow, and concatenated descriptors would merge into one.
      data = inflateRawSync(bin.subarray(i + 10, i + 8_000_000), {
        finishFlush: constants.Z_SYNC_FLUSH,
      });
    } catch {
      continue; // not a gzip member, or one that is not a descriptor
    }
    const nameLength = data[1] ?? 0;
    const name = data.subarray(2, 2 + nameLength).toString('latin1');
    if (data[0] === 0x0a && /^[\w./-]+\.proto$/.test(name)) found.push(data);
  }
  return found;
}

interface Segment {
  vaddr: number;
  offset: number;
  size: number;
}

/** The Go structs in `bin` that carry at least one `protobuf:"…"` struct tag. */
export function extractGoStructs(bin: Buffer): GoStruct[] {
  const segments = loadSegments(bin);
  const typesBase = sectionAddress(bin, '.rodata');
  const toOffset = (vaddr: number): number | undefined => {
    for (const s of segments) {
      if (vaddr >= s.vaddr && vaddr < s.vaddr + s.size) return s.offset + (vaddr - s.vaddr);
    }
    return undefined;
  };
  const readName = (vaddr: number) => {
    const at = toOffset(vaddr);
    if (at === undefined) return undefined;
    const flags = bin[at]!;
    const [length, start] = uvarint(bin, at + 1);
    const name = bin.toString('latin1', start, start + length);
    if (!(flags & 2)) return { flags, name, tag: '' };
    const [tagLength, tagStart] = uvarint(bin, start + length);
    return { flags, name, tag: bin.toString('latin1', tagStart, tagStart + tagLength) };
  };
  const u64 = (at: number) => bin.readUInt32LE(at) + bin.readUInt32LE(at + 4) * 0x1_0000_0000;

  const structs: GoStruct[] = [];
  // A StructType is an rtype followed by pkgPath and a fields slice {ptr, len, cap}; find
  // slices with len == cap whose rtype says "struct", then check that every field resolves.
  for (let p = RTYPE_SIZE + 8; p + 24 <= bin.length; p += 8) {
    const length = u64(p + 8);
    if (length === 0 || length > 400 || u64(p + 16) !== length) continue;
    const typeAt = p - RTYPE_SIZE - 8;
    if ((bin[typeAt + 23]! & 0x1f) !== KIND_STRUCT) continue;
    const fieldsAt = toOffset(u64(p));
    if (fieldsAt === undefined || fieldsAt + 24 * length > bin.length) continue;
    const fields: GoStructField[] = [];
    for (let i = 0; i < length; i++) {
      const name = readName(u64(fieldsAt + 24 * i));
      if (!name || !/^[A-Za-z_]\w*$/.test(name.name)) break;
      fields.push({ goName: name.name, embedded: (name.flags & 8) !== 0, tag: name.tag });
    }
    if (fields.length !== length || !fields.some((f) => f.tag.includes('protobuf:"'))) continue;
    const tflag = bin[typeAt + 20]!;
    const typeName = readName(typesBase + bin.readInt32LE(typeAt + 40))?.name ?? '';
    let pkgPath = '';
    if (tflag & TFLAG_UNCOMMON) {
      pkgPath = readName(typesBase + bin.readInt32LE(typeAt + STRUCT_TYPE_SIZE))?.name ?? '';
    }
    const name = (tflag & TFLAG_EXTRA_STAR ? typeName.slice(1) : typeName).replace(/^.*\./, '');
    structs.push({ pkgPath, name, fields });
  }
  return structs;
}

function uvarint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
}

function loadSegments(bin: Buffer): Segment[] {
  if (bin.readUInt32BE(0) !== 0x7f454c46 || bin[4] !== 2 || bin[5] !== 1) {
    throw new Error('not a 64-bit little-endian ELF file');
  }
  const phoff = Number(bin.readBigUInt64LE(0x20));
  const phentsize = bin.readUInt16LE(0x36);
  const segments: Segment[] = [];
  for (let i = 0; i < bin.readUInt16LE(0x38); i++) {
    const at = phoff + i * phentsize;
    if (bin.readUInt32LE(at) !== 1) continue; // PT_LOAD
    segments.push({
      offset: Number(bin.readBigUInt64LE(at + 8)),
      vaddr: Number(bin.readBigUInt64LE(at + 16)),
      size: Number(bin.readBigUInt64LE(at + 32)),
    });
  }
  return segments;
}

function sectionAddress(bin: Buffer, wanted: string): number {
  const shoff = Number(bin.readBigUInt64LE(0x28));
  const shentsize = bin.readUInt16LE(0x3a);
  const count = bin.readUInt16LE(0x3c);
  const names = shoff + bin.readUInt16LE(0x3e) * shentsize;
  const namesAt = Number(bin.readBigUInt64LE(names + 24));
  for (let i = 0; i < count; i++) {
    const at = shoff + i * shentsize;
    const nameAt = namesAt + bin.readUInt32LE(at);
    const name = bin.toString('latin1', nameAt, bin.indexOf(0, nameAt));
    if (name === wanted) return Number(bin.readBigUInt64LE(at + 16));
  }
  throw new Error(`no ${wanted} section`);
}
