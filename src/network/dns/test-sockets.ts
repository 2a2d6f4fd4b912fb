import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet';

// Loopback-only socket helpers for the server's tests: a DNS client over UDP and TCP,
// and a fake upstream resolver. Nothing here talks to any address but 127.0.0.1.

export const LOOPBACK = '127.0.0.1';
let nextId = 1;

export function queryPacket(name: string, type = 'A', extra: Partial<Packet> = {}): Packet {
  return {
    type: 'query',
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as Question['type'] }],
    ...extra,
  };
}

/** Sends raw bytes over UDP; resolves the first reply, or undefined after `waitMs`. */
export function udpRaw(port: number, bytes: Buffer, waitMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(bytes, port, LOOPBACK);
  });
}

export async function udpQuery(port: number, packet: Packet): Promise<DecodedPacket> {
  const reply = await udpRaw(port, dnsPacket.encode(packet));
  if (!reply) throw new Error('no UDP reply');
  return dnsPacket.decode(reply);
}

/** Sends raw bytes over one TCP connection; resolves the first `count` framed replies. */
export function tcpRaw(port: number, bytes: Buffer, count = 1): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port });
    let buffered = Buffer.alloc(0);
    const replies: Buffer[] = [];
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (replies.length >= count) {
        socket.destroy();
        resolve(replies);
      }
    });
    socket.on('close', () => resolve(replies));
    socket.write(bytes);
  });
}

export async function tcpQuery(port: number, packet: Packet): Promise<DecodedPacket> {
  const [reply] = await tcpRaw(port, dnsPacket.streamEncode(packet));
  if (!reply) throw new Error('no TCP reply');
  return dnsPacket.decode(reply);
}

export function rcodeOf(packet: DecodedPacket): string {
  return (packet as DecodedPacket & { rcode: string }).rcode;
}

export function dataOf(answers: Answer[] | undefined): string[] {
  return (answers ?? []).map((a) => `${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`);
}

export interface FakeUpstream {
  port: number;
  /** Questions it was asked, `name TYPE transport`. */
  asked: string[];
  close(): Promise<void>;
}

/**
 * A resolver on 127.0.0.1 (UDP and TCP, same port) that answers by `records`, keyed
 * by lower-case name; unknown names get NXDOMAIN. `truncateUdp` answers every UDP query
 * with TC and no records, as a server with an answer too big for UDP does.
 */
export async function startFakeUpstream(
  records: Record<string, Answer[]>,
  opts: { truncateUdp?: boolean } = {},
): Promise<FakeUpstream> {
  const asked: string[] = [];
  const respond = (msg: Buffer, transport: string): Buffer => {
    const query = dnsPacket.decode(msg);
    const q = query.questions![0]!;
    asked.push(`${q.name} ${q.type} ${transport}`);
    const answers = records[q.name.toLowerCase()];
    const truncate = opts.truncateUdp && transport === 'udp';
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags:
        dnsPacket.RECURSION_AVAILABLE |
        (truncate ? dnsPacket.TRUNCATED_RESPONSE : 0) |
        (answers ? 0 : 3),
      questions: query.questions,
      answers: truncate ? [] : (answers ?? []),
    });
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, peer) => udp.send(respond(msg, 'udp'), peer.port, peer.address));
  await new Promise<void>((r) => udp.bind(0, LOOPBACK, () => r()));
  const port = udp.address().port;
  const tcp = net.createServer((conn) => {
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk) => {
      const reply = respond(chunk.subarray(2), 'tcp');
      conn.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
    });
  });
  await new Promise<void>((r) => tcp.listen(port, LOOPBACK, () => r()));
  return {
    port,
    asked,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/** A UDP socket on 127.0.0.1 that takes queries and never answers. */
export async function startSilentUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, LOOPBACK, () => r()));
  return {
    port: udp.address().port,
    close: () => new Promise<void>((r) => udp.close(() => r())),
  };
}
