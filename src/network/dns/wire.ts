import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { canonicalIP } from './addresses.ts';

// A response encoder with name compression (RFC 1035 4.1.4), which dns-packet's encoder
// lacks. Without it every record repeats its owner name in full, and a headless service
// with a dozen endpoints no longer fits the 512 bytes a plain UDP client takes, so every
// lookup of it would go round through TC and TCP. It knows the record types the zone
// produces; a packet with any other falls back to dns-packet, uncompressed.

const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, SRV: 33, OPT: 41 } as const;
const CLASS_IN = 1;
const MAX_POINTER = 0x3fff;

export function encodePacket(packet: Packet): Buffer {
  const records = [
    ...(packet.answers ?? []),
    ...(packet.authorities ?? []),
    ...(packet.additionals ?? []),
  ];
  const plainQuestions = (packet.questions ?? []).every((q) => (q.class ?? 'IN') === 'IN');
  if (!plainQuestions || !records.every(encodable)) return dnsPacket.encode(packet);
  const w = new Writer();
  w.u16(packet.id ?? 0);
  w.u16(((packet.flags ?? 0) & 0x7fff) | (packet.type === 'response' ? 0x8000 : 0));
  for (const section of [packet.questions, packet.answers, packet.authorities, packet.additionals])
    w.u16(section?.length ?? 0);
  for (const q of packet.questions ?? []) {
    w.name(q.name);
    w.u16(typeNumber(q.type));
    w.u16(CLASS_IN);
  }
  for (const record of records) w.record(record);
  return w.bytes();
}

function encodable(record: Answer): boolean {
  if (record.type === 'OPT') return record.options.length === 0;
  return record.type in TYPE && (record.class ?? 'IN') === 'IN';
}

function typeNumber(type: string): number {
  return TYPE[type as keyof typeof TYPE] ?? questionType(type);
}

/** Question types are any type at all: take dns-packet's numbering for the rest. */
function questionType(type: string): number {
  const probe = dnsPacket.encode({ questions: [{ name: '.', type: type as 'A' }] });
  return probe.readUInt16BE(13);
}

class Writer {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Offsets of names already written, by their exact spelling. */
  #names = new Map<string, number>();

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#length);
  }

  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.#push(b);
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.#push(b);
  }

  name(name: string, compress = true): void {
    const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.');
      const at = compress ? this.#names.get(suffix) : undefined;
      if (at !== undefined) return this.u16(0xc000 | at);
      if (compress && this.#length <= MAX_POINTER) this.#names.set(suffix, this.#length);
      const label = Buffer.from(labels[i]!);
      if (label.length > 63) throw new Error(`DNS label longer than 63 bytes in ${name}`);
      this.#push(Buffer.from([label.length]));
      this.#push(label);
    }
    this.#push(Buffer.from([0]));
  }

  record(r: Answer): void {
    if (r.type === 'OPT') {
      this.#push(Buffer.from([0]));
      this.u16(TYPE.OPT);
      this.u16(r.udpPayloadSize);
      this.u32(((r.extendedRcode ?? 0) << 24) | ((r.ednsVersion ?? 0) << 16) | (r.flags ?? 0));
      return this.u16(0);
    }
    this.name(r.name);
    this.u16(TYPE[r.type as keyof typeof TYPE]);
    this.u16(CLASS_IN);
    this.u32(r.ttl ?? 0);
    // RDLENGTH is known once RDATA is written: reserve it, then fill it in.
    const lengthAt = this.#length;
    const slot = Buffer.alloc(2);
    this.#push(slot);
    this.#rdata(r);
    slot.writeUInt16BE(this.#length - lengthAt - 2);
  }

  #rdata(r: Answer): void {
    switch (r.type) {
      case 'A':
        return this.#push(Buffer.from(r.data.split('.').map(Number)));
      case 'AAAA':
        return this.#push(Buffer.from(canonicalIP(r.data)!.replace(/:/g, ''), 'hex'));
      case 'CNAME':
      case 'NS':
      case 'PTR':
        return this.name(r.data);
      case 'SOA':
        this.name(r.data.mname);
        this.name(r.data.rname);
        for (const n of ['serial', 'refresh', 'retry', 'expire', 'minimum'] as const)
          this.u32(r.data[n] ?? 0);
        return;
      case 'SRV':
        this.u16(r.data.priority ?? 0);
        this.u16(r.data.weight ?? 0);
        this.u16(r.data.port);
        // RFC 2782: the target is never compressed.
        return this.name(r.data.target, false);
      default:
        throw new Error(`cannot encode a ${r.type} record`);
    }
  }

  #push(b: Buffer): void {
    this.#chunks.push(b);
    this.#length += b.length;
  }
}
