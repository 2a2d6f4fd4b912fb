import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { KubeObject } from '../api/index.ts';
import { StatusError } from './errors.ts';

// pods/log, pods/exec, pods/attach and pods/portforward, as kube-apiserver serves them:
// check the request against the pod (which container, is it running), find the agent of
// the pod's node from the Node object (InternalIP and daemonEndpoints.kubeletEndpoint),
// and proxy to it. Exec and port-forward are protocol upgrades: once the agent's endpoint
// is known the connection is spliced through byte for byte, so whatever protocol the
// client's kubectl speaks (WebSocket or SPDY) reaches the agent unchanged.

export interface NodeProxyDeps {
  getPod(namespace: string, name: string): Promise<KubeObject>;
  getNode(name: string): Promise<KubeObject>;
  /** The token agents accept from the API server; absent: no agent can be reached. */
  token?: string;
}

interface PodShape {
  spec?: {
    nodeName?: string;
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
    ephemeralContainers?: Array<{ name: string }>;
  };
  status?: {
    phase?: string;
    containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
    initContainerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
  };
  metadata?: { annotations?: Record<string, string> };
}

const names = (list?: Array<{ name: string }>) => (list ?? []).map((c) => c.name);

/** Which container a request means, with kube-apiserver's messages when it cannot tell. */
function chooseContainer(name: string, pod: PodShape, requested: string | null): string {
  const all = [
    ...names(pod.spec?.containers),
    ...names(pod.spec?.initContainers),
    ...names(pod.spec?.ephemeralContainers),
  ];
  if (requested) {
    if (!all.includes(requested))
      throw new StatusError('BadRequest', `container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = names(pod.spec?.containers);
  if (containers.length === 1) return containers[0]!;
  const defaulted = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (defaulted && all.includes(defaulted)) return defaulted;
  const inits = names(pod.spec?.initContainers);
  throw new StatusError(
    'BadRequest',
    `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]` +
      (inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''),
  );
}

export class NodeProxy {
  readonly #deps: NodeProxyDeps;

  constructor(deps: NodeProxyDeps) {
    this.#deps = deps;
  }

  async #agentFor(
    namespace: string,
    name: string,
    sub: string,
  ): Promise<{ pod: PodShape; host: string; port: number }> {
    const pod = (await this.#deps.getPod(namespace, name)) as PodShape;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      throw new StatusError(
        'BadRequest',
        `pod ${name} is not scheduled to a node yet, so it has no ${sub === 'log' ? 'logs' : sub}`,
      );
    }
    const node = (await this.#deps.getNode(nodeName).catch(() => undefined)) as
      | {
          status?: {
            addresses?: Array<{ type: string; address: string }>;
            daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
          };
        }
      | undefined;
    const addresses = node?.status?.addresses ?? [];
    const host = (
      addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'Hostname')
    )?.address;
    const port = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!node || !host || !port || !this.#deps.token) {
      throw new StatusError(
        'BadRequest',
        `node ${nodeName} has no agent endpoint to reach for ${sub}: is the agent on ${nodeName} running?`,
      );
    }
    return { pod, host, port };
  }

  /** GET pods/{name}/log */
  async serveLog(
    namespace: string,
    name: string,
    query: URLSearchParams,
    res: ServerResponse,
  ): Promise<void> {
    const { pod, host, port } = await this.#agentFor(namespace, name, 'log');
    const container = chooseContainer(name, pod, query.get('container'));
    const statuses = [
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.initContainerStatuses ?? []),
    ];
    const waiting = statuses.find((s) => s.name === container)?.state?.waiting;
    if (
      waiting &&
      query.get('previous') !== 'true' &&
      !statuses.find((s) => s.name === container && (s as { containerID?: string }).containerID)
    ) {
      throw new StatusError(
        'BadRequest',
        `container "${container}" in pod "${name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`,
      );
    }
    const params = new URLSearchParams(query);
    params.delete('container');
    const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${params}`;
    await new Promise<void>((resolve, reject) => {
      const upstream = https.request(
        {
          host,
          port,
          path,
          method: 'GET',
          headers: { Authorization: `Bearer ${this.#deps.token}` },
          rejectUnauthorized: false,
        },
        (answer) => {
          if (answer.statusCode !== 200) {
            const chunks: Buffer[] = [];
            answer.on('data', (c: Buffer) => chunks.push(c));
            answer.on('end', () =>
              reject(
                new StatusError(
                  answer.statusCode === 404 ? 'NotFound' : 'BadRequest',
                  Buffer.concat(chunks).toString().trim(),
                ),
              ),
            );
            return;
          }
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
          res.flushHeaders();
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', resolve);
        },
      );
      res.on('close', () => upstream.destroy());
      upstream.on('error', (err) =>
        reject(
          new StatusError(
            'InternalError',
            `the agent on the pod's node could not be reached: ${err.message}`,
          ),
        ),
      );
      upstream.end();
    });
  }

  /** An upgrade request for pods/{name}/exec|attach|portforward; answers on the socket. */
  async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    namespace: string,
    name: string,
    sub: string,
    query: URLSearchParams,
  ): Promise<void> {
    const { pod, host, port } = await this.#agentFor(namespace, name, sub);
    let path: string;
    if (sub === 'portforward') {
      if (pod.status?.phase !== 'Running')
        throw new StatusError(
          'BadRequest',
          `pod ${name} is not running (phase ${pod.status?.phase ?? 'Pending'}), so its ports cannot be forwarded`,
        );
      path = `/portForward/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?${query}`;
    } else {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        throw new StatusError(
          'BadRequest',
          `cannot ${sub} into a container in a completed pod; current phase is ${phase}`,
        );
      }
      const container = chooseContainer(name, pod, query.get('container'));
      const params = new URLSearchParams(query);
      params.delete('container');
      path = `/${sub}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${params}`;
    }
    const upstream = tls.connect({
      host,
      port,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    await new Promise<void>((resolve, reject) => {
      upstream.once('secureConnect', () => resolve());
      upstream.once('error', (err) =>
        reject(
          new StatusError(
            'InternalError',
            `the agent on the pod's node could not be reached: ${err.message}`,
          ),
        ),
      );
    });
    const skip = new Set(['host', 'authorization', 'content-length']);
    const lines = [
      `${req.method} ${path} HTTP/1.1`,
      `Host: ${host}:${port}`,
      `Authorization: Bearer ${this.#deps.token}`,
    ];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!skip.has(req.rawHeaders[i]!.toLowerCase()))
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    upstream.pipe(socket);
    socket.pipe(upstream);
  }
}

/** Writes a Status as a plain HTTP response on a socket that asked for an upgrade. */
export function refuseUpgrade(socket: Duplex, err: StatusError): void {
  const status = err.toStatus();
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${status.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
