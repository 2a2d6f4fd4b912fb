import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

// A load generator for benchmarks: `concurrency` workers, each with its own UDP socket
// and one query outstanding at a time, cycle through `names` for `durationMs`.
// Closed-loop, so the load is bounded by the server's own speed and never floods it.

export interface DnsLoadResult {
  /** Answered queries per second. */
  qps: number;
  /** 99th percentile of the answered queries' round trips. */
  p99_ms: number;
  answered: number;
  /** Queries without an answer within the per-query timeout. */
  timeouts: number;
}

export async function measureDnsQps(
  server: { host: string; port: number },
  names: string[],
  durationMs: number,
  concurrency: number,
  opts: { type?: 'A' | 'AAAA' | 'SRV'; timeoutMs?: number } = {},
): Promise<DnsLoadResult> {
  if (names.length === 0) throw new Error('measureDnsQps: no names to ask for');
  const timeoutMs = opts.timeoutMs ?? 1000;
  const queries = names.map((name) =>
    dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: opts.type ?? 'A', name }],
    }),
  );
  const latencies: number[] = [];
  let timeouts = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const worker = async (offset: number) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(server.port, server.host, () => resolve());
    });
    let waiting: ((msg: Buffer | undefined) => void) | undefined;
    socket.on('message', (msg) => waiting?.(msg));
    socket.on('error', () => waiting?.(undefined));
    let id = offset;
    try {
      for (let i = offset; performance.now() < deadline; i++) {
        id = (id + 1) & 0xffff;
        const query = Buffer.from(queries[i % queries.length]!);
        query.writeUInt16BE(id, 0);
        const sentAt = performance.now();
        const answered = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          waiting = (msg) => {
            // A late answer to an earlier, timed-out query is not this one's.
            if (msg && msg.length >= 2 && msg.readUInt16BE(0) !== id) return;
            clearTimeout(timer);
            resolve(msg !== undefined);
          };
          socket.send(query);
        });
        if (answered) latencies.push(performance.now() - sentAt);
        else timeouts++;
      }
    } finally {
      socket.close();
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, (_, i) => worker(i * 997)));
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies.length
    ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!
    : 0;
  return {
    qps: latencies.length / elapsedS,
    p99_ms: Math.round(p99 * 1000) / 1000,
    answered: latencies.length,
    timeouts,
  };
}
