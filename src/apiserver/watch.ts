import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/index.ts';
import { apiVersionOf } from '../api/index.ts';
import { StatusError, badRequest } from './errors.ts';
import { buildFilter, collectionPrefix, parseResourceVersion } from './storage/list.ts';
import type { ResourceStore } from './storage/resource-store.ts';
import { jsonOf } from './storage/serialized.ts';
import { NotFreshError, TooOldError, type CacheEvent } from './storage/watch-cache.ts';
import { TABLE_CONTENT_TYPE, toTable, type IncludeObject } from './table.ts';

// A watch response: one JSON event per line on a chunked response that stays open until
// timeoutSeconds, the client leaving, or the server shutting down. Served from the watch
// cache; an object that stops (or starts) matching the selectors is seen as DELETED (or
// ADDED), as kube-apiserver does.

export interface WatchQuery {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  timeoutSeconds?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

export interface WatchFormat {
  table: boolean;
  include: IncludeObject;
}

const BOOKMARK_INTERVAL_MS = 60_000;
/** A client this far behind is cut off; it will re-list and re-watch. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_S = 1800;

export async function serveWatch(
  req: IncomingMessage,
  res: ServerResponse,
  rs: ResourceStore,
  q: WatchQuery,
  format: WatchFormat,
): Promise<void> {
  const filter = buildFilter(rs.type, q.labelSelector, q.fieldSelector);
  const rv = parseResourceVersion(q.resourceVersion);
  const timeout = parseTimeout(q.timeoutSeconds);
  if (q.sendInitialEvents && !q.allowWatchBookmarks) {
    throw badRequest('sendInitialEvents requires allowWatchBookmarks=true');
  }
  const cache = rs.deps.cache;
  const prefix = collectionPrefix(rs, q.namespace);
  const initial = rv === undefined || rv === 0 || q.sendInitialEvents === true;
  if (rv === undefined || q.sendInitialEvents) {
    try {
      await cache.waitFresh(rv || undefined);
    } catch (err) {
      if (err instanceof NotFreshError) throw new StatusError('Timeout', `Timeout: ${err.message}`);
      throw err;
    }
  }

  res.writeHead(200, {
    'Content-Type': format.table ? TABLE_CONTENT_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // kubectl wait hangs past its timeout unless the headers arrive before any event.
  res.flushHeaders();

  const apiVersion = apiVersionOf(rs.type.group, rs.type.version);
  let sentColumns = false;
  // Converted views are built per watcher; plain cache objects share one serialization.
  const converted = rs.type.conversion !== undefined;
  const encode = (type: string, obj: KubeObject): string => {
    if (format.table && type !== 'BOOKMARK' && type !== 'ERROR') {
      const table = toTable(rs.type, [obj], {}, format.include, { withColumns: !sentColumns });
      sentColumns = true;
      return `{"type":"${type}","object":${JSON.stringify(table)}}\n`;
    }
    const json = converted || type === 'BOOKMARK' ? JSON.stringify(obj) : jsonOf(obj);
    return `{"type":"${type}","object":${json}}\n`;
  };

  let closed = false;
  let stopWatching: () => void = () => {};
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    stopWatching();
    timers.forEach(clearTimeout);
    res.end();
  };
  const write = (text: string) => {
    if (closed) return;
    res.write(text);
    if (res.writableLength > MAX_BUFFERED_BYTES) finish();
  };
  const bookmark = (annotations?: Record<string, string>) => {
    if (!q.allowWatchBookmarks) return;
    const metadata = {
      resourceVersion: String(cache.revision),
      ...(annotations ? { annotations } : {}),
    };
    write(encode('BOOKMARK', { kind: rs.type.kind, apiVersion, metadata }));
  };
  req.on('close', finish);
  res.on('error', finish);

  const deliver = (events: CacheEvent[]) => {
    let out = '';
    for (const e of events) {
      if (!e.key.startsWith(prefix)) continue;
      const object = converted ? rs.view(e.object) : e.object;
      const prev = e.prev && converted ? rs.view(e.prev) : e.prev;
      const now = filter.matches(object);
      const before = prev !== undefined && filter.matches(prev);
      if (e.type === 'DELETED') {
        if (before) out += encode('DELETED', object);
      } else if (now && before) out += encode('MODIFIED', object);
      else if (now) out += encode('ADDED', object);
      else if (before) out += encode('DELETED', object);
    }
    if (out) write(out);
  };

  let from = rv ?? 0;
  if (initial) {
    const { revision, objects } = cache.list(prefix);
    let out = '';
    for (const stored of objects) {
      const obj = converted ? rs.view(stored) : stored;
      if (filter.matches(obj)) out += encode('ADDED', obj);
    }
    if (out) write(out);
    from = revision;
    if (q.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  }
  try {
    stopWatching = cache.watch({ prefix, deliver, terminate: () => finish() }, from);
  } catch (err) {
    if (err instanceof TooOldError) {
      const status = new StatusError('Expired', err.message).toStatus();
      write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      finish();
      return;
    }
    throw err;
  }
  const tick = () => {
    bookmark();
    timers[0] = setTimeout(tick, BOOKMARK_INTERVAL_MS);
  };
  timers[0] = setTimeout(tick, BOOKMARK_INTERVAL_MS);
  timers[1] = setTimeout(() => {
    bookmark();
    finish();
  }, timeout * 1000);
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined || value === '' || value === '0') {
    return DEFAULT_TIMEOUT_S * (1 + Math.random());
  }
  if (!/^\d+$/.test(value)) throw badRequest(`invalid timeoutSeconds: ${JSON.stringify(value)}`);
  return Number(value);
}
