import dnsPacket, {
  type Answer,
  type DecodedPacket,
  type OptAnswer,
  type Packet,
} from 'dns-packet';
import { encodePacket } from './wire.ts';

// Building responses on the wire: header flags, EDNS, and the UDP size limit.

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;
export type Rcode = keyof typeof RCODE;

const OPCODE_MASK = 0x7800;
/** What a server without EDNS may send over UDP (RFC 1035 2.3.4). */
export const CLASSIC_UDP_LIMIT = 512;
/** The EDNS payload size this server advertises and honours at most (DNS flag day 2020). */
export const EDNS_UDP_LIMIT = 1232;

export function opcodeOf(header: Buffer): number {
  return (header.readUInt16BE(2) & OPCODE_MASK) >> 11;
}

/** The client's EDNS record, if it sent one. */
export function ednsOf(query: DecodedPacket): OptAnswer | undefined {
  return query.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
}

/** The largest UDP response the client takes: 512 without EDNS, its advertised size (bounded) with. */
export function udpLimit(query: DecodedPacket): number {
  const opt = ednsOf(query);
  if (!opt) return CLASSIC_UDP_LIMIT;
  return Math.min(Math.max(opt.udpPayloadSize, CLASSIC_UDP_LIMIT), EDNS_UDP_LIMIT);
}

export interface ResponseParts {
  rcode: Rcode;
  authoritative?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** A response to `query`: same ID, opcode, RD and question; RA set (this server recurses). */
export function buildResponse(query: DecodedPacket, parts: ResponseParts): Packet {
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  const aa = parts.authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0;
  const opcode = (query.flags ?? 0) & OPCODE_MASK;
  const additionals = [...(parts.additionals ?? [])];
  // RFC 6891 6.1.1: a server that got an OPT answers with one.
  if (ednsOf(query)) additionals.push(serverOpt());
  return {
    type: 'response',
    id: query.id ?? 0,
    flags: opcode | rd | aa | dnsPacket.RECURSION_AVAILABLE | RCODE[parts.rcode],
    questions: query.questions ?? [],
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals,
  };
}

/**
 * The response's bytes; over UDP, when they exceed `limit`, the header and question
 * only, with TC set, so the client retries over TCP (RFC 1035 4.2.1, RFC 7766).
 */
export function encodeResponse(
  response: Packet,
  limit: number,
): { bytes: Buffer; truncated: boolean } {
  const bytes = encodePacket(response);
  if (bytes.length <= limit) return { bytes, truncated: false };
  const cut: Packet = {
    ...response,
    flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
    additionals: (response.additionals ?? []).filter((a) => a.type === 'OPT'),
  };
  return { bytes: encodePacket(cut), truncated: true };
}

/**
 * A header-only error response for a message that could not be decoded: its ID, its
 * opcode and RD bit, no sections (RFC 1035 4.1.1: FORMERR).
 */
export function headerOnlyResponse(query: Buffer, rcode: Rcode): Buffer {
  const out = Buffer.alloc(12);
  const flags = query.readUInt16BE(2);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  out.writeUInt16BE(0x8000 | (flags & OPCODE_MASK) | (flags & 0x0100) | 0x0080 | RCODE[rcode], 2);
  return out;
}

function serverOpt(): OptAnswer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: EDNS_UDP_LIMIT,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}
