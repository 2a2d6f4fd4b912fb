import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptSpdyExec } from './exec-spdy.ts';
import { acceptWebSocketExec } from './exec-websocket.ts';
import type { ExecStreamOptions, StreamSession } from './types.ts';
import { isSpdyUpgrade, isWebSocketUpgrade, rejectUpgrade } from './upgrade.ts';

/** What an exec or attach request URL asks for (`command` is empty for attach). */
export interface ExecRequest extends ExecStreamOptions {
  command: string[];
  container?: string;
}

/**
 * Reads kubectl's query (`?command=sh&command=-c&…&container=c&stdin=true&stdout=true`).
 * The API server passes kubectl's URL on unchanged, so flags are `true`; the kubelet's own
 * URLs use `1`, which is accepted as well.
 */
export function parseExecQuery(url: string | URL): ExecRequest {
  const query = new URL(url, 'http://agent').searchParams;
  const flag = (name: string) => ['true', '1'].includes(query.get(name) ?? '');
  return {
    command: query.getAll('command'),
    container: query.get('container') || undefined,
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

/**
 * Upgrades an exec or attach request to a stream session, over WebSocket or SPDY as the
 * request asks, and resolves once the client's streams are ready. Takes over `socket`: a
 * refused request has been answered and rejects with a `StreamUpgradeError`; a client that
 * upgraded but never opened its streams (30 s) or hung up rejects with an Error, the
 * connection closed. Check the pod and container before calling, and answer problems with
 * `rejectUpgrade` so kubectl prints them.
 */
export function acceptExecStream(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: ExecStreamOptions,
): Promise<StreamSession> {
  try {
    if (!options.stdin && !options.stdout && !options.stderr) {
      const message = 'you must specify at least 1 of stdin, stdout, stderr';
      throw rejectUpgrade(socket, 400, 'BadRequest', message);
    }
    if (isWebSocketUpgrade(req)) return acceptWebSocketExec(req, socket, head, options);
    if (isSpdyUpgrade(req)) return acceptSpdyExec(req, socket, head, options);
    throw rejectUpgrade(
      socket,
      400,
      'BadRequest',
      'unable to upgrade: missing upgrade headers in request',
    );
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
