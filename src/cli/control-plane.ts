import os from 'node:os';
import path from 'node:path';
import { builtinRegistry } from '../api/index.ts';
import {
  ADMIN_USER,
  apiServiceSans,
  ApiServer,
  builtinAdmission,
  DEFAULT_SERVICE_CIDR,
  defaultSans,
  ensureAdminToken,
  ensureServingCertificates,
  ensureSigningKey,
  TokenAuthenticator,
  versionInfo,
} from '../apiserver/index.ts';
import { RestClient, stderrLogger } from '../client/index.ts';
import { startControllersThread } from '../controllers/thread.ts';
import { defaultHostIP, openRuntime, startAgent, type RuntimeChoice } from '../agent/index.ts';
import { startSchedulerThread } from '../scheduler/thread.ts';
import { publishClusterConfig } from './cluster-config.ts';
import { openStore, startCompactor, type Backend } from '../store/index.ts';
import { ensureJoinSecret, formatJoinToken, NODE_BOOTSTRAP_USER } from './join-token.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { startNodeNetwork, type ProxyModeChoice } from '../network/index.ts';

// Starting the control plane in order, each step behind the previous one, with every
// failure wrapped in what was being started ("starting apiserver: port 6443 is in use").

export interface ControlPlaneOptions {
  dataDir: string;
  port: number;
  host: string;
  storeUrl?: string;
  tlsSans: string[];
  progress: (line: string) => void;
  /** Silence after which a node goes Unknown and gets the unreachable taint (default 40 s). */
  nodeMonitorGracePeriodSeconds?: number;
  /** `--service-cidr`: where cluster IPs come from (default 10.96.0.0/12). */
  serviceCIDR?: string;
  /** Run a node agent in this process too (`wharf up`); absent: control plane only. */
  agent?: {
    runtime: RuntimeChoice;
    nodeName?: string;
    /** The node's service proxy and DNS; none when absent (tests of the agent alone). */
    network?: { proxyMode: ProxyModeChoice; clusterDomain: string };
  };
}

export interface ControlPlane {
  url: string;
  kubeconfigPath: string;
  caPem: string;
  token: string;
  /** `wharf1::<CA hash>::<secret>`: what `wharf agent --token` takes. */
  joinToken: string;
  apiserver: ApiServer;
  store: Backend;
  close(): Promise<void>;
}

const CERT_CHECK_MS = 12 * 3600 * 1000;

/** Runs one start-up step: a progress line when it is done, its failure wrapped in `what`. */
export async function step<T>(
  what: string,
  progress: (line: string) => void,
  run: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    progress(`  ${what} … ok (${Date.now() - started} ms)`);
    return result;
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { dataDir, progress } = opts;
  const pkiDir = path.join(dataDir, 'tls');
  const storeUrl = opts.storeUrl ?? `sqlite://${path.join(dataDir, 'state.db')}`;
  const store = await step(`opening store ${storeUrl}`, progress, () => openStore(storeUrl));
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    const stopCompactor = startCompactor(store);
    cleanups.unshift(stopCompactor);
    const serviceCIDR = opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    const clusterDomain = opts.agent?.network?.clusterDomain ?? 'cluster.local';
    const sans = () =>
      defaultSans([...apiServiceSans(serviceCIDR, clusterDomain), ...opts.tlsSans]);
    const tls = await step('preparing certificates', progress, () =>
      ensureServingCertificates(pkiDir, sans()),
    );
    const serviceAccountKey = ensureSigningKey(pkiDir);
    const token = ensureAdminToken(path.join(dataDir, 'tokens'));
    // The join secret: agents authenticate with it, and the API server presents it to them.
    const joinSecret = ensureJoinSecret(dataDir);
    const joinToken = formatJoinToken(tls.caPem, joinSecret);
    const tokens = new TokenAuthenticator();
    tokens.add(token, ADMIN_USER);
    tokens.add(joinSecret, NODE_BOOTSTRAP_USER);
    const registry = builtinRegistry();
    const apiserver = new ApiServer({
      store,
      registry,
      admission: builtinAdmission,
      tokens,
      serviceAccountKey,
      tls,
      host: opts.host,
      port: opts.port,
      nodeProxyToken: joinSecret,
      ...localSocketOf(dataDir),
      ...(opts.serviceCIDR ? { serviceCIDR: opts.serviceCIDR } : {}),
      ...advertiseAddressOf(opts.host),
    });
    await step(`starting apiserver on ${opts.host}:${opts.port}`, progress, () =>
      apiserver.start(),
    );
    cleanups.unshift(() => apiserver.close());
    progress(`  join token: ${joinToken}`);
    progress(
      `  more machines join with: wharf agent --server https://<address of this machine>:${new URL(apiserver.url).port} --token <join token>`,
    );
    // A long-running server re-checks its certificate twice a day and renews it in place
    // when it nears expiry; the CA itself lasts ten years.
    let servedCert = tls.certPem;
    const rotation = setInterval(() => {
      ensureServingCertificates(pkiDir, sans())
        .then((fresh) => {
          if (fresh.certPem === servedCert) return;
          servedCert = fresh.certPem;
          apiserver.setCertificates(fresh);
          progress('  serving certificate renewed');
        })
        .catch((err: unknown) =>
          stderrLogger.error({ err }, 'could not renew the serving certificate'),
        );
    }, CERT_CHECK_MS);
    rotation.unref();
    cleanups.unshift(() => clearInterval(rotation));
    const url = apiserver.url;
    // The components of this process talk to the API server over its local socket.
    const local = apiserver.localSocketPath ? { socketPath: apiserver.localSocketPath } : {};
    const client = new RestClient({
      server: url,
      token,
      caPem: tls.caPem,
      userAgent: 'wharf-control-plane',
      ...local,
    });
    cleanups.unshift(() => client.close());
    // Agents that join later learn the service range from here.
    await publishClusterConfig(client, { serviceCIDR: opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR });
    await step(
      'starting controllers (garbage collector, namespace, service accounts, root CA)',
      progress,
      async () => {
        const thread = startControllersThread({
          server: url,
          token,
          caPem: tls.caPem,
          ...local,
          ...(opts.nodeMonitorGracePeriodSeconds !== undefined
            ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds }
            : {}),
        });
        cleanups.unshift(() => thread.stop());
      },
    );
    await step('starting scheduler', progress, async () => {
      const thread = startSchedulerThread({
        server: url,
        token,
        caPem: tls.caPem,
        host: os.hostname(),
        ...local,
      });
      cleanups.unshift(() => thread.stop());
    });
    if (opts.agent) {
      const agentOpts = opts.agent;
      const nodeName = agentOpts.nodeName ?? os.hostname().toLowerCase();
      const agentDir = path.join(dataDir, 'agent');
      const { driver, why } = await step(`opening the ${agentOpts.runtime} runtime`, progress, () =>
        openRuntime({ choice: agentOpts.runtime, dataDir: agentDir, nodeName, log: stderrLogger }),
      );
      progress(`  runtime ${driver.name} (${why})`);
      let clusterDNS: { servers: string[]; domain: string } | undefined;
      let routesClusterIPs = false;
      const networkOpts = agentOpts.network;
      if (networkOpts) {
        const gateway = driver.capabilities().podGateway;
        const network = await step('starting service proxy and cluster DNS', progress, () =>
          startNodeNetwork({
            client,
            nodeName,
            log: stderrLogger,
            proxyMode: networkOpts.proxyMode,
            serviceCIDR: opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR,
            clusterDomain: networkOpts.clusterDomain,
            ...(gateway ? { podGateway: gateway } : {}),
            progress,
          }),
        );
        cleanups.unshift(() => network.close());
        routesClusterIPs = network.routesClusterIPs;
        if (network.dnsServers.length > 0) {
          clusterDNS = { servers: network.dnsServers, domain: networkOpts.clusterDomain };
        }
      }
      const agent = await step(`starting node agent ${nodeName}`, progress, () =>
        startAgent({
          client,
          nodeName,
          runtime: driver,
          dataDir: agentDir,
          tls: { certPem: tls.certPem, keyPem: tls.keyPem },
          proxyToken: joinSecret,
          kubeletVersion: versionInfo().gitVersion,
          ...(clusterDNS ? { clusterDNS } : {}),
          apiServer: {
            ...(opts.host !== '0.0.0.0' && opts.host !== '::' ? { host: opts.host } : {}),
            port: Number(new URL(url).port),
            ...(routesClusterIPs ? {} : { replacesService: true }),
          },
          log: stderrLogger,
          progress,
        }),
      );
      cleanups.unshift(() => agent.close());
    }
    const kubeconfigPath = path.join(dataDir, 'kubeconfig.yaml');
    writeKubeconfig(kubeconfigPath, { server: url, caPem: tls.caPem, token });
    let closed = false;
    return {
      url,
      kubeconfigPath,
      caPem: tls.caPem,
      token,
      joinToken,
      apiserver,
      store,
      async close() {
        if (closed) return;
        closed = true;
        // Every part is stopped even when one fails to; the first failure is reported.
        const failures: unknown[] = [];
        for (const c of cleanups) {
          try {
            await c();
          } catch (err) {
            failures.push(err);
          }
        }
        if (failures.length > 0) throw failures[0];
      },
    };
  } catch (err) {
    for (const c of cleanups) await c();
    throw err;
  }
}

/**
 * Where the API server's local socket goes: in the data dir, unless that path is longer
 * than a unix socket address may be (108 bytes), when the components use HTTPS instead.
 */
function localSocketOf(dataDir: string): { localSocketPath?: string } {
  const socketPath = path.join(path.resolve(dataDir), 'apiserver.sock');
  return Buffer.byteLength(socketPath) < 104 ? { localSocketPath: socketPath } : {};
}

/**
 * The address pods reach the API server at, for the `kubernetes` service: the address it
 * listens on, or the machine's main address when it listens on all of them. A server on
 * loopback only cannot be reached from pods, so the service gets no endpoints.
 */
function advertiseAddressOf(host: string): { advertiseAddress?: string } {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    const ip = defaultHostIP();
    return ip.startsWith('127.') ? {} : { advertiseAddress: ip };
  }
  if (host.startsWith('127.') || host === '::1' || host === 'localhost') return {};
  return { advertiseAddress: host };
}
