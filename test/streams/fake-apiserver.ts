import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import {
  acceptExecStream,
  acceptPortForward,
  parseExecQuery,
  type StreamSession,
} from '../../src/agent/streams/index.ts';

// Just enough of an API server for kubectl exec and port-forward: version and discovery, one
// Running pod `default/p`, and the upgrade endpoints, served by the streams library in
// process. Exec runs the command as a local child process; port-forward dials 127.0.0.1.

export interface StreamRecord {
  kind: 'exec' | 'portforward';
  transport: string;
  protocol?: string;
}

export interface FakeApiServer {
  /** Arguments that point kubectl at this server (kubeconfig and a private cache dir). */
  kubectlArgs: string[];
  /** Every stream session accepted, in order. */
  sessions: StreamRecord[];
  /** Errors from accepting streams (none expected). */
  errors: Error[];
  close(): Promise<void>;
}

const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'p', namespace: 'default', uid: '6d1c6a55-4d3c-4b5e-9b6a-0c5a0b9c1e01' },
  spec: { containers: [{ name: 'c', image: 'toy' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: 0 }] },
};

const discovery: Record<string, object> = {
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
  '/api/v1/namespaces/default/pods/p': pod,
}; // prettier-ignore

function runToyExec(session: StreamSession, command: string[]): void {
  if (session.tty) return reportTerminalSize(session);
  const child = spawn(command[0]!, command.slice(1), { stdio: 'pipe' });
  child.on('error', (err) => void session.end({ error: `starting ${command[0]}: ${err.message}` }));
  child.stdin.on('error', () => {}); // the command may exit without reading its input
  if (session.stdin) session.stdin.pipe(child.stdin);
  else child.stdin.end();
  if (session.stdout) child.stdout.pipe(session.stdout);
  else child.stdout.resume();
  if (session.stderr) child.stderr.pipe(session.stderr);
  else child.stderr.resume();
  session.closed.addEventListener('abort', () => child.kill());
  child.on('close', (code, signal) => {
    void session.end({ exitCode: code ?? (signal ? 128 + os.constants.signals[signal] : 1) });
  });
}

/** With a TTY the toy runs nothing: it prints the first terminal size the client sends. */
function reportTerminalSize(session: StreamSession): void {
  const stop = session.onResize((size) => {
    stop();
    session.stdout?.write(`terminal ${size.width}x${size.height}\r\n`);
    void session.end({ exitCode: 0 });
  });
}

function forwardToLocalPort(port: number, data: Duplex, reportError: (m: string) => void): void {
  const upstream = net.connect({ host: '127.0.0.1', port });
  upstream.on('error', (err) =>
    reportError(`error forwarding port ${port} to pod p: ${err.message}`),
  );
  data.on('error', () => upstream.destroy());
  upstream.on('connect', () => {
    data.pipe(upstream);
    upstream.pipe(data);
  });
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const sessions: StreamRecord[] = [];
  const errors: Error[] = [];
  const server = http.createServer((req, res) => {
    const body = discovery[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', status: 'Failure', code: 404 }));
  });
  // Upgraded sockets leave the HTTP server's bookkeeping but still hold up server.close().
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'http://x');
    const accept = async () => {
      if (url.pathname === '/api/v1/namespaces/default/pods/p/exec') {
        const { command, ...options } = parseExecQuery(url);
        const session = await acceptExecStream(req, socket, head, options);
        sessions.push({ kind: 'exec', transport: session.transport, protocol: session.protocol });
        runToyExec(session, command);
      } else if (url.pathname === '/api/v1/namespaces/default/pods/p/portforward') {
        const session = await acceptPortForward(req, socket, head, forwardToLocalPort);
        sessions.push({ kind: 'portforward', transport: session.transport });
      } else {
        socket.destroy();
      }
    };
    accept().catch((err: Error) => errors.push(err));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-streams-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'fake', user: {} }],
      contexts: [
        { name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } },
      ],
      'current-context': 'fake',
    }),
  );
  return {
    kubectlArgs: [`--kubeconfig=${kubeconfig}`, `--cache-dir=${path.join(dir, 'cache')}`],
    sessions,
    errors,
    close: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
