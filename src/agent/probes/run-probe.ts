import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import type { Container, Probe } from '../k8s-types.ts';
import type { RuntimeDriver } from '../runtime/types.ts';

// One probe attempt, as the kubelet's prober runs it: exec in the container, an HTTP GET
// (2xx and 3xx succeed) or a TCP connect, each bounded by timeoutSeconds. The message of
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
  const url = `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
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
  return `dial tcp ${host}:${port}: ${reason}`;
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
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, message: dialError(host, port, err) }),
    );
  });
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
    if (probe.grpc)
      return {
        ok: false,
        message: 'gRPC probes are not supported by wharf yet; use exec, httpGet or tcpSocket',
      };
    return { ok: false, message: 'probe has no handler (exec, httpGet, tcpSocket)' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
