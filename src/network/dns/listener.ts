import dgram from 'node:dgram';
import net from 'node:net';
import { frame } from './forward.ts';

// One listen address: a UDP socket and a TCP server on the same port. With port 0 the
// UDP socket picks the port and TCP takes the same one, retrying with a fresh port when
// TCP finds it taken, so a client needs one address for both transports.

export interface Listener {
  host: string;
  port: number;
  /** Stops both transports and drops open TCP connections. */
  close(): Promise<void>;
}

export interface ListenerHandlers {
  /** The response to a message, or undefined to send nothing; must not throw. */
  udp(message: Buffer): Promise<Buffer | undefined>;
  tcp(message: Buffer): Promise<Buffer | undefined>;
  error(err: Error, where: string): void;
}

/** A TCP connection silent this long is closed (RFC 7766 6.2.3 suggests seconds). */
const TCP_IDLE_MS = 10_000;
const PORT_ATTEMPTS = 10;

export async function bindListener(
  address: { host: string; port: number },
  handlers: ListenerHandlers,
): Promise<Listener> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(address, handlers);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp({ host: address.host, port }, handlers);
      return {
        host: address.host,
        port,
        close: async () => {
          await Promise.all([new Promise<void>((r) => udp.close(() => r())), tcp.close()]);
        },
      };
    } catch (err) {
      udp.close();
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (address.port !== 0 || !taken || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

function bindUdp(
  address: { host: string; port: number },
  handlers: ListenerHandlers,
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(address.host) ? 'udp6' : 'udp4');
    socket.once('error', (err) =>
      reject(wrap(err, `listening for DNS on udp ${address.host}:${address.port}`)),
    );
    socket.bind(address.port, address.host, () => {
      socket.removeAllListeners('error');
      socket.on('error', (err) => handlers.error(err, `udp ${address.host}`));
      socket.on('message', (message, peer) => {
        void handlers.udp(message).then((response) => {
          if (!response) return;
          const failed = (err: Error | null) => {
            // The socket closed under an answer in flight: nothing left to tell.
            if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING')
              handlers.error(err, `udp reply to ${peer.address}:${peer.port}`);
          };
          try {
            socket.send(response, peer.port, peer.address, failed);
          } catch (err) {
            failed(err as Error);
          }
        });
      });
      resolve(socket);
    });
  });
}

function listenTcp(
  address: { host: string; port: number },
  handlers: ListenerHandlers,
): Promise<{ close(): Promise<void> }> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    // Peers reset connections all the time; that is no error of the server's.
    conn.on('error', () => conn.destroy());
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Queries may be pipelined; each is answered when ready, in any order (RFC 7766 6.2.1.1).
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        void handlers.tcp(Buffer.from(message)).then((response) => {
          if (response && !conn.destroyed) conn.write(frame(response));
        });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        Object.assign(wrap(err, `listening for DNS on tcp ${address.host}:${address.port}`), {
          code: (err as NodeJS.ErrnoException).code,
        }),
      ),
    );
    server.listen(address.port, address.host, () => {
      server.removeAllListeners('error');
      server.on('error', (err) => handlers.error(err, `tcp ${address.host}`));
      resolve({
        close: () =>
          new Promise<void>((r) => {
            for (const conn of connections) conn.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

function wrap(err: Error, what: string): Error {
  return new Error(`${what}: ${err.message}`, { cause: err });
}
