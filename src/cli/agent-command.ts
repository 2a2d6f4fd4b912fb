import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls, { type DetailedPeerCertificate } from 'node:tls';
import { openRuntime, startAgent, type RuntimeChoice } from '../agent/index.ts';
import {
  DEFAULT_SERVICE_CIDR,
  defaultSans,
  ensureServingCertificates,
  versionInfo,
} from '../apiserver/index.ts';
import { ApiError, RestClient, stderrLogger, type ResourceRef } from '../client/index.ts';
import { step } from './control-plane.ts';
import { startNodeNetwork, type ProxyModeChoice } from '../network/index.ts';
import { lockDataDir } from './data-dir.ts';
import { caHash, parseJoinToken } from './join-token.ts';
import { readClusterConfig } from './cluster-config.ts';

// `wharf agent --server URL --token T`: this machine joins a cluster as a Node.
//
// Trust is bootstrapped as k3s does it, without sending the secret before the server is
// known: a first TLS handshake with verification off only reads the certificate chain
// the API server presents (its serving certificate carries the cluster CA), and the CA
// whose sha256 the join token names is taken. From then on every request goes through a
// client pinned to that CA, which checks the server's certificate and name as usual.

export interface AgentCommandOptions {
  server: string;
  token: string;
  nodeName?: string;
  runtime: RuntimeChoice;
  dataDir: string;
  nodeIp?: string;
  port: number;
  /** Absent: the range the cluster publishes (10.96.0.0/12 from a server that does not). */
  serviceCidr?: string;
  proxyMode: ProxyModeChoice;
  clusterDomain: string;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
const SELF_SUBJECT_REVIEWS: ResourceRef = {
  group: 'authentication.k8s.io',
  version: 'v1',
  resource: 'selfsubjectreviews',
  namespaced: false,
};

export async function runAgent(opts: AgentCommandOptions): Promise<void> {
  const started = Date.now();
  const out = (line: string) => process.stdout.write(line + '\n');
  const server = parseServer(opts.server);
  const join = parseJoinToken(opts.token);
  if (opts.nodeIp !== undefined && !net.isIP(opts.nodeIp))
    throw new Error(`--node-ip must be an IP address, not ${opts.nodeIp}`);
  const nodeName = opts.nodeName ?? os.hostname().toLowerCase();
  const dataDir = path.resolve(opts.dataDir);
  out(`wharf: joining ${server.origin} as node ${nodeName} (data dir ${dataDir})`);
  const unlock = lockDataDir(dataDir);
  const cleanups: (() => Promise<void> | void)[] = [unlock];
  const cleanUp = async () => {
    for (const c of cleanups) await c();
  };
  let agentPort: number;
  try {
    const caPem = await step(`checking the cluster CA of ${server.origin}`, out, () =>
      fetchPinnedCa(server, join.caHash),
    );
    const client = new RestClient({
      server: server.origin,
      token: join.secret,
      caPem,
      userAgent: `wharf-agent/${nodeName}`,
    });
    cleanups.unshift(() => client.close());
    const user = await step('authenticating with the join token', out, () =>
      whoAmI(client, server),
    );
    out(`  authenticated as ${user}`);
    const { driver, why } = await step(`opening the ${opts.runtime} runtime`, out, () =>
      openRuntime({ choice: opts.runtime, dataDir, nodeName, log: stderrLogger }),
    );
    out(`  runtime ${driver.name} (${why})`);
    // startAgent owns the driver once it runs; until then a failure must close it here.
    let driverOwned = false;
    cleanups.unshift(() => (driverOwned ? undefined : driver.close()));
    // The API server does not verify agents' certificates (as kube-apiserver without
    // --kubelet-certificate-authority), so the agent issues its own under its data dir.
    const agentTls = await step("preparing the agent's serving certificate", out, () =>
      ensureServingCertificates(
        path.join(dataDir, 'tls'),
        defaultSans(opts.nodeIp ? [opts.nodeIp] : []),
      ),
    );
    let serviceCIDR = opts.serviceCidr;
    if (!serviceCIDR) {
      const published = (await readClusterConfig(client))?.serviceCIDR;
      serviceCIDR = published ?? DEFAULT_SERVICE_CIDR;
      out(`  service range ${serviceCIDR} (${published ? 'from the cluster' : 'the default'})`);
    }
    const gateway = driver.capabilities().podGateway;
    const network = await step('starting service proxy and cluster DNS', out, () =>
      startNodeNetwork({
        client,
        nodeName,
        log: stderrLogger,
        proxyMode: opts.proxyMode,
        serviceCIDR,
        clusterDomain: opts.clusterDomain,
        ...(gateway ? { podGateway: gateway } : {}),
        progress: out,
      }),
    );
    cleanups.unshift(() => network.close());
    const clusterDNS =
      network.dnsServers.length > 0
        ? { servers: network.dnsServers, domain: opts.clusterDomain }
        : undefined;
    const agent = await step(`starting node agent ${nodeName}`, out, async () => {
      try {
        return await startAgent({
          client,
          nodeName,
          runtime: driver,
          dataDir,
          ...(opts.nodeIp ? { hostIP: opts.nodeIp } : {}),
          port: opts.port,
          tls: { certPem: agentTls.certPem, keyPem: agentTls.keyPem },
          proxyToken: join.secret,
          kubeletVersion: versionInfo().gitVersion,
          ...(clusterDNS ? { clusterDNS } : {}),
          apiServer: {
            host: server.hostname.replace(/^\[|\]$/g, ''),
            port: server.port,
            ...(network.routesClusterIPs ? {} : { replacesService: true }),
          },
          log: stderrLogger,
          progress: out,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new Error(
            `port ${opts.port} is in use by another process (another agent?); choose one with --port`,
            { cause: err },
          );
        }
        throw err;
      }
    });
    driverOwned = true;
    cleanups.unshift(() => agent.close());
    agentPort = agent.port;
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  out(
    `wharf agent is ready in ${seconds}s: node ${nodeName} joined ${server.origin} · agent port ${agentPort}`,
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      out(`wharf: ${signal} received, shutting down (pods keep running until the agent is back)`);
      void cleanUp()
        .catch((err: unknown) =>
          process.stderr.write(`wharf: error while shutting down: ${String(err)}\n`),
        )
        .finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  out('wharf: stopped');
}

interface ServerUrl {
  origin: string;
  hostname: string;
  port: number;
}

function parseServer(text: string): ServerUrl {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== 'https:') {
    throw new Error(
      `--server must be the https:// URL of the API server, like https://10.0.0.5:6443, not ${text}`,
    );
  }
  return { origin: url.origin, hostname: url.hostname, port: Number(url.port || 443) };
}

/**
 * Reads the certificate chain the server presents, without verifying it and without
 * sending anything, and returns (as PEM) the CA certificate whose hash is `wantHash`.
 */
async function fetchPinnedCa(server: ServerUrl, wantHash: string): Promise<string> {
  const host = server.hostname.replace(/^\[|\]$/g, '');
  const chain = await new Promise<DetailedPeerCertificate[]>((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: server.port,
      ...(net.isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    });
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () =>
      socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    socket.once('secureConnect', () => {
      const certs: DetailedPeerCertificate[] = [];
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert?.raw && !certs.some((c) => c.raw.equals(cert!.raw))) {
        certs.push(cert);
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(certs);
    });
    socket.once('error', (err) => reject(new Error(unreachable(server, err), { cause: err })));
  });
  const cas = chain.filter((c) => new X509Certificate(c.raw).ca);
  const pinned = cas.find((c) => caHash(c.raw) === wantHash);
  if (pinned) return new X509Certificate(pinned.raw).toString();
  const seen = cas.map((c) => caHash(c.raw)).join(', ') || 'none: it sent no CA certificate';
  throw new Error(
    `the server's CA does not match the join token (token: sha256 ${wantHash}; server: ${seen}). ` +
      'The token is for another cluster, or something between this machine and the server is ' +
      'impersonating it; refusing to join. Check the --server address and copy the token again ' +
      'from `wharf join-token` on the control plane',
  );
}

/** Checks the secret over the pinned connection; answers the user name it stands for. */
async function whoAmI(client: RestClient, server: ServerUrl): Promise<string> {
  try {
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };
    const review = await client.create(SELF_SUBJECT_REVIEWS, '', body);
    const { userInfo } = (review.status ?? {}) as { userInfo?: { username?: string } };
    return userInfo?.username ?? 'an unnamed user';
  } catch (err) {
    if (err instanceof ApiError && err.code === 401) {
      throw new Error(
        "the API server refused the token's secret (401 Unauthorized): the token names this " +
          "cluster's CA but not its current secret; copy it again from `wharf join-token` on the " +
          'control plane',
        { cause: err },
      );
    }
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      throw new Error(
        `the API server's certificate does not cover ${server.hostname}: restart the control ` +
          `plane with --tls-san ${server.hostname}, or join through an address it covers`,
        { cause: err },
      );
    }
    if (code.startsWith('ERR_TLS') || /certificate|signature/i.test(String(err))) {
      throw new Error(
        `the API server's certificate is not signed by the CA the join token names ` +
          `(${(err as Error).message}): refusing to send the secret`,
        { cause: err },
      );
    }
    throw new Error(unreachable(server, err as Error), { cause: err });
  }
}

/** A sentence for a connection that failed before any answer. */
function unreachable(server: ServerUrl, err: NodeJS.ErrnoException): string {
  const where = `cannot reach the API server at ${server.origin}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where}: connection refused; is \`wharf up\` or \`wharf server\` running there, and is port ${server.port} open?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the name ${server.hostname} does not resolve`;
    case 'ETIMEDOUT':
      return `${where}: no answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s; is a firewall in the way?`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where}: no route to ${server.hostname}`;
    case 'ECONNRESET':
    case 'EPROTO':
      return `${where}: the connection failed during the TLS handshake (${err.message}); is it the https port of a wharf API server?`;
    default:
      return `${where}: ${err.message}`;
  }
}
