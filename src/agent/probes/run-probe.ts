import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import type { Container, Probe } from '../k8s-types.ts';
import type { RuntimeDriver } from '../runtime/types.ts';
import { checkHealth, GRPC_CODES, SERVING, SERVING_STATUS } from './grpc-health.ts';

// One probe attempt, as the kubelet's prober runs it: exec in the container, an HTTP GET
// (2xx and 3xx succeed), a TCP connect or a gRPC health check (SERVING succeeds), each
// bounded by timeoutSeconds. The message of
// a failure is what the Unhealthy event says, worded as the kubelet words it.

export interface ProbeTarget {
  containerId: string;
  container: Container;
  /** Where the pod answers: its IP, or the node's for host-network pods. */
  podIP: string;
}

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

const MAX_OUTPUT = 10 * 1024;
const USER_AGENT = 'kube-probe/1.32';

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Go's time.Duration formatting, for whole milliseconds: 500ms, 1s, 1m30s. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  return h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
}

function resolvePort(port: number | string | undefined, container: Container): number {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named)
    throw new Error(`unable to find port "${String(port)}" in container ${container.name}`);
  return named.containerPort;
}

async function execProbe(
  runtime: RuntimeDriver,
  target: ProbeTarget,
  command: string[],
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  let size = 0;
  output.on('data', (c: Buffer) => {
    if (size < MAX_OUTPUT) chunks.push(c);
    size += c.length;
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const session = await runtime.exec(target.containerId, {
      command,
      tty: false,
      stdout: output,
      stderr: output,
      signal: controller.signal,
    });
    const code = await Promise.race([
      session.exitCode,
      new Promise<number>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(new Error('timeout'))),
      ),
    ]);
    const text = Buffer.concat(chunks).toString().slice(0, MAX_OUTPUT);
    return code === 0
      ? { ok: true, message: text }
      : { ok: false, message: text || `command ${JSON.stringify(command)} exited with ${code}` };
  } catch (err) {
    if (controller.signal.aborted) {
      return {
        ok: false,
        message: `command timed out: "${command.join(' ')}" timed out after ${timeoutMs / 1000}s`,
      };
    }
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function httpProbe(
  probe: NonNullable<Probe['httpGet']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const host = probe.host || target.podIP;
  const port = resolvePort(probe.port as number | string, target.container);
  const scheme = (probe.scheme ?? 'HTTP').toLowerCase();
  const path = probe.path ?? '/';
  const url = `${scheme}://${joinHostPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`;
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const lib = scheme === 'https' ? https : http;
    const req = lib.get(
      url,
      { headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        res.on('end', () =>
          resolve(
            code >= 200 && code < 400
              ? { ok: true, message: '' }
              : { ok: false, message: `HTTP probe failed with statuscode: ${code}` },
          ),
        );
        res.on('error', () =>
          resolve({ ok: false, message: `Get "${url}": response ended early` }),
        );
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({
        ok: false,
        message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, message: `Get "${url}": ${dialError(host, port, err)}` }),
    );
  });
}

function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
  return `dial tcp ${joinHostPort(host, port)}: ${reason}`;
}

function tcpProbe(
  probe: NonNullable<Probe['tcpSocket']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const host = probe.host || target.podIP;
  const port = resolvePort(probe.port as number | string, target.container);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: '' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${joinHostPort(host, port)}: i/o timeout` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, message: dialError(host, port, err) }),
    );
  });
}

// GRPCAction has no host: the kubelet always asks the pod IP (the node's for host-network
// pods). Connect and call share one deadline. Where grpc-go would keep redialling a
// refused port until the deadline and then say only "context deadline exceeded", this
// reports the refusal at once, in the kubelet's wording for other dial errors.
async function grpcProbe(
  probe: NonNullable<Probe['grpc']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const host = target.podIP;
  const port = resolvePort(probe.port, target.container);
  const addr = joinHostPort(host, port);
  const within = goDuration(timeoutMs);
  const result = await checkHealth({
    host,
    port,
    service: probe.service ?? '',
    timeoutMs,
    userAgent: USER_AGENT,
  });
  switch (result.kind) {
    case 'status':
      return result.status === SERVING
        ? { ok: true, message: 'service healthy' }
        : {
            ok: false,
            message: `service unhealthy (responded with "${SERVING_STATUS[result.status] ?? result.status}")`,
          };
    case 'connect-timeout':
      return {
        ok: false,
        message: `timeout: failed to connect service "${addr}" within ${within}: context deadline exceeded`,
      };
    case 'connect-failed':
      return {
        ok: false,
        message: `error: failed to connect service at "${addr}": ${dialError(host, port, result.error)}`,
      };
    case 'rpc-error': {
      const name = GRPC_CODES[result.code] ?? `Code(${result.code})`;
      if (name === 'Unimplemented') {
        return {
          ok: false,
          message: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${result.message}`,
        };
      }
      if (name === 'DeadlineExceeded') {
        return { ok: false, message: `timeout: health rpc did not complete within ${within}` };
      }
      return {
        ok: false,
        message: `error: health rpc probe failed: rpc error: code = ${name} desc = ${result.message}`,
      };
    }
  }
}

export async function runProbe(
  runtime: RuntimeDriver,
  probe: Probe,
  target: ProbeTarget,
): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await execProbe(runtime, target, probe.exec.command ?? [], timeoutMs);
    if (probe.httpGet) return await httpProbe(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket, target, timeoutMs);
    if (probe.grpc) return await grpcProbe(probe.grpc, target, timeoutMs);
    return { ok: false, message: 'probe has no handler (exec, httpGet, tcpSocket, grpc)' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
