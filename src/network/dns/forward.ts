import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

// Forwarding to upstream resolvers, as CoreDNS's `forward` plugin does in its simplest
// form: the client's query as it came, under a fresh random ID, from a fresh socket (so
// the source port is random too: both make spoofed answers harder), to each upstream in
// turn until one answers. A truncated UDP answer is fetched again over TCP when the
// client itself asked over TCP; a UDP client gets the TC bit and retries over TCP.

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwardOptions {
  /** Bound on each upstream's exchange (UDP and its TCP retry each). */
  timeoutMs: number;
  /** The client asked over TCP, so a truncated answer is no use to it. */
  clientTcp: boolean;
  signal?: AbortSignal;
}

export interface ForwardResult {
  /** The response to hand the client (its ID restored); undefined when no upstream answered. */
  response?: Buffer;
  /** Upstreams that failed (timeout, refused, garbage) before the answer. */
  failures: { upstream: Upstream; err: Error }[];
}

const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const RCODE_SERVFAIL = 2;
const RCODE_REFUSED = 5;

/** Asks each upstream in turn; an upstream's SERVFAIL or REFUSED passes on to the next one. */
export async function forward(
  query: Buffer,
  upstreams: Upstream[],
  opts: ForwardOptions,
): Promise<ForwardResult> {
  const failures: ForwardResult['failures'] = [];
  let fallback: Buffer | undefined;
  for (const upstream of upstreams) {
    if (opts.signal?.aborted) break;
    const id = randomInt(0, 0x10000);
    const sent = Buffer.from(query);
    sent.writeUInt16BE(id, 0);
    try {
      let response = check(await udpExchange(sent, upstream, opts), id);
      if (opts.clientTcp && response.readUInt16BE(2) & FLAG_TC)
        response = check(await tcpExchange(sent, upstream, opts), id);
      response.writeUInt16BE(query.readUInt16BE(0), 0);
      const rcode = response.readUInt16BE(2) & 0xf;
      if (rcode !== RCODE_SERVFAIL && rcode !== RCODE_REFUSED) return { response, failures };
      fallback = response;
    } catch (err) {
      failures.push({ upstream, err: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  return { response: fallback, failures };
}

function check(response: Buffer, id: number): Buffer {
  if (response.length < 12) throw new Error(`short answer (${response.length} bytes)`);
  if (response.readUInt16BE(0) !== id) throw new Error('answer with a foreign ID');
  if (!(response.readUInt16BE(2) & FLAG_QR)) throw new Error('a query instead of an answer');
  return response;
}

function udpExchange(query: Buffer, upstream: Upstream, opts: ForwardOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
    const done = settle(() => socket.close(), opts, resolve, reject);
    socket.on('error', done.fail);
    // A connected socket only hears its peer: datagrams from anyone else are dropped.
    socket.on('message', (msg) => done.ok(msg));
    socket.connect(upstream.port, upstream.host, () => socket.send(query));
  });
}

function tcpExchange(query: Buffer, upstream: Upstream, opts: ForwardOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: upstream.host, port: upstream.port });
    const done = settle(() => socket.destroy(), opts, resolve, reject);
    let buffered = Buffer.alloc(0);
    socket.on('error', done.fail);
    socket.on('connect', () => socket.write(frame(query)));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0))
        done.ok(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
    socket.on('end', () => done.fail(new Error('upstream closed the connection')));
  });
}

/** One settlement of an exchange: the first of answer, error, timeout or abort; the socket closed once. */
function settle(
  close: () => void,
  opts: ForwardOptions,
  resolve: (b: Buffer) => void,
  reject: (e: Error) => void,
): { ok(b: Buffer): void; fail(e: Error): void } {
  let settled = false;
  const finish = () => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    close();
    return true;
  };
  const fail = (err: Error) => finish() && reject(err);
  const onAbort = () => fail(new Error('server closing'));
  const timer = setTimeout(
    () => fail(new Error(`no answer in ${opts.timeoutMs} ms`)),
    opts.timeoutMs,
  );
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  return { ok: (b) => finish() && resolve(b), fail };
}

/** A message with TCP's 2-byte length prefix (RFC 1035 4.2.2). */
export function frame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length, 0);
  return Buffer.concat([prefix, message]);
}
