// A load generator run as its own process, so the benchmark's cluster (and a user-space
// proxy inside it) does not share a CPU thread with the load:
//   node --import tsx bench/_load.ts http URL CONNECTIONS MS   → {"rps":…, "p99_ms":…}
//   node --import tsx bench/_load.ts dns HOST PORT NAME CONCURRENCY MS → {"qps":…, "p99_ms":…}
// Closed loop with keep-alive: each connection has one request outstanding at a time.
import http from 'node:http';
import { measureDnsQps } from '../src/network/dns/index.ts';
import { quantile, round } from './_stats.ts';

async function httpLoad(url: string, connections: number, ms: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    rps: round(latencies.length / seconds, 0),
    p99_ms: round(quantile(latencies, 0.99)),
    errors,
  };
}

const [kind, ...rest] = process.argv.slice(2);
if (kind === 'http') {
  const [url, connections, ms] = rest;
  console.log(JSON.stringify(await httpLoad(url!, Number(connections), Number(ms))));
} else if (kind === 'dns') {
  const [host, port, name, concurrency, ms] = rest;
  const r = await measureDnsQps(
    { host: host!, port: Number(port) },
    [name!],
    Number(ms),
    Number(concurrency),
  );
  console.log(
    JSON.stringify({ qps: round(r.qps, 0), p99_ms: round(r.p99_ms), timeouts: r.timeouts }),
  );
} else {
  console.error('usage: _load.ts http URL CONNECTIONS MS | dns HOST PORT NAME CONCURRENCY MS');
  process.exit(2);
}
