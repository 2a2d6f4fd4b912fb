import type { Duplex, Readable, Writable } from 'node:stream';

/** Which standard streams a kubectl exec/attach request asked for (its query parameters). */
export interface ExecStreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** How a command ended: its exit code, or why it could not run (sent as InternalError). */
export type ExecResult = { exitCode: number } | { error: string };

/** `websocket`: kubectl >= 1.30 (v5.channel.k8s.io); `spdy`: older kubectl and fallbacks. */
export type StreamTransport = 'websocket' | 'spdy';

/**
 * One upgraded exec or attach connection, whatever the wire protocol.
 *
 * Lifetime: the caller runs the command with these streams and calls `end()` exactly once
 * with how it ended; `end()` flushes and closes stdout and stderr, sends the final status
 * and closes the connection. If the client goes away first, `closed` aborts: stop the
 * command (the signal fits the runtime's `ExecOptions.signal`) and still call `end()`,
 * which then only releases what is left. Writes after the client left are discarded rather
 * than failing, so a command's output pipe never errors because of the client.
 */
export interface StreamSession {
  readonly transport: StreamTransport;
  /** The negotiated subprotocol, e.g. `v5.channel.k8s.io`, `v4.channel.k8s.io`. */
  readonly protocol: string;
  readonly tty: boolean;
  /** Present when stdin was asked for; ends when the client closes its stdin. */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Absent with a TTY: the terminal merges stderr into stdout. */
  readonly stderr?: Writable;
  /**
   * Aborted when the connection is gone (after `end()` that is the normal course). Its
   * `reason` is the error that broke the connection, or the standard AbortError.
   */
  readonly closed: AbortSignal;
  /**
   * Calls `listener` with each terminal size the client sends (TTY sessions only). A size
   * that arrived before the listener was added is replayed to it at once, since kubectl sends
   * the initial size right after connecting. Returns a function that removes the listener.
   */
  onResize(listener: (size: TerminalSize) => void): () => void;
  /** Sends the final status and closes the connection; resolves once it is closed. */
  end(result: ExecResult): Promise<void>;
}

/**
 * Called for each connection kubectl forwards to `port` of the pod.
 *
 * `data` carries the bytes both ways: reading yields what kubectl's local client sent (it ends
 * when that client stops sending); writing sends to it and `end()` closes that direction.
 * kubectl keeps its local connection open until the forwarded connection is finished, which
 * is when `data`'s writable side has finished (the pod's side is done) or `data` is
 * destroyed — so end or destroy `data` once the connection to the pod closes.
 *
 * `reportError` reports why forwarding failed (e.g. nothing listens on the port) and ends
 * this connection; kubectl prints the message, and kubectl >= 1.31 then ends the whole
 * port-forward, as it does with a kubelet.
 */
export type PortForwardHandler = (
  port: number,
  data: Duplex,
  reportError: (message: string) => void,
) => void;

export interface PortForwardSession {
  readonly transport: StreamTransport;
  /** Aborted when the client has gone or `close()` was called. */
  readonly closed: AbortSignal;
  /** Ends the session and every forwarded connection (pod deleted, agent stopping). */
  close(): void;
}
