import type { ServerResponse } from 'node:http';
import type { RuntimeDriver } from '../runtime/types.ts';
import type { PodRecord } from '../pods/pod-record.ts';

// `kubectl logs` as the kubelet serves it: the current container or, with `previous`,
// the one before it; tailLines, sinceSeconds/sinceTime, timestamps (RFC 3339 with
// nanoseconds, as CRI log files carry them), limitBytes, and follow until it exits.

export interface LogQuery {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  since?: Date;
  limitBytes?: number;
}

export class LogRequestError extends Error {}

export function parseLogQuery(container: string, q: URLSearchParams): LogQuery {
  const int = (name: string) => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new LogRequestError(`${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  const bool = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(Date.now() - sinceSeconds * 1000);
  else if (sinceTime) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime()))
      throw new LogRequestError(`sinceTime "${sinceTime}" is not an RFC 3339 time`);
  }
  return {
    container,
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    tailLines: int('tailLines'),
    since,
    limitBytes: int('limitBytes'),
  };
}

function nanoTimestamp(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Picks the container instance the query means; throws LogRequestError with kubelet's words. */
export function logTarget(record: PodRecord, query: LogQuery): string {
  const podName = record.pod.metadata?.name;
  const instances = record.containers.get(query.container) ?? [];
  if (query.previous) {
    const previous = instances[1];
    if (!previous) {
      throw new LogRequestError(
        `previous terminated container "${query.container}" in pod "${podName}" not found`,
      );
    }
    return previous.id;
  }
  const current = instances[0];
  if (!current) {
    const waiting = record.waiting.get(query.container)?.reason ?? 'ContainerCreating';
    throw new LogRequestError(
      `container "${query.container}" in pod "${podName}" is waiting to start: ${waiting}`,
    );
  }
  return current.id;
}

export async function streamLogs(
  runtime: RuntimeDriver,
  containerId: string,
  query: LogQuery,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let budget = query.limitBytes ?? Infinity;
  for await (const line of runtime.logs(containerId, {
    follow: query.follow,
    ...(query.tailLines !== undefined ? { tail: query.tailLines } : {}),
    ...(query.since ? { since: query.since } : {}),
    signal,
  })) {
    let chunk = query.timestamps
      ? Buffer.concat([Buffer.from(`${nanoTimestamp(line.time)} `), line.data])
      : line.data;
    if (chunk.length > budget) chunk = chunk.subarray(0, budget);
    budget -= chunk.length;
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    if (budget <= 0 || signal.aborted) break;
  }
  res.end();
}
