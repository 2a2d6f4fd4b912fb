import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InformerFactory, type Logger, type RestClient } from '../client/index.ts';
import {
  informerDirectory,
  startClusterDns,
  type ClusterDnsServer,
  type ListenAddress,
} from './dns/index.ts';
import { bridgeAddressPinArgs } from './bridge-address.ts';
import { newIptablesDataPlane, ServiceProxy, type DataPlane } from './proxy/index.ts';
import { newUserspaceDataPlane } from './proxy/userspace/index.ts';
import { canBindServiceCIDR, isRoot, lowestBindablePort } from './service-cidr.ts';

// What every node runs for services: the service proxy (kernel rules as root, sockets
// otherwise) and the node's cluster DNS on the pod network's gateway, where the node's
// pods are told to send their queries. Both read Services and EndpointSlices through one
// informer factory.

const run = promisify(execFile);

export type ProxyModeChoice = 'auto' | 'kernel' | 'userspace';

export interface NodeNetworkOptions {
  client: RestClient;
  nodeName: string;
  log: Logger;
  proxyMode: ProxyModeChoice;
  serviceCIDR: string;
  clusterDomain: string;
  /** The host's side of the pod network (from the runtime), when pods have their own. */
  podGateway?: { bridge: string; address: string; subnet: string };
  /** Where the DNS listens; default: the pod gateway's address, port 53 (root only). */
  dnsListen?: ListenAddress[];
  progress?: (line: string) => void;
}

export interface NodeNetwork {
  proxyMode: 'kernel' | 'userspace';
  /** Whether cluster IPs reach their endpoints from this node (and its pods). */
  routesClusterIPs: boolean;
  /** The DNS servers this node's ClusterFirst pods use; empty when there is none. */
  dnsServers: string[];
  dns: ClusterDnsServer | undefined;
  proxy: ServiceProxy;
  close(): Promise<void>;
}

/** The `kubernetes` service's port: pods reach the API server through it. */
const API_SERVICE_PORT = 443;

export async function startNodeNetwork(opts: NodeNetworkOptions): Promise<NodeNetwork> {
  const { log } = opts;
  const progress = opts.progress ?? (() => undefined);
  const mode = await chooseMode(opts.proxyMode);
  if (opts.podGateway && isRoot()) await ensureBridge(opts.podGateway);
  const factory = new InformerFactory(opts.client, { logger: log });
  const stop = new AbortController();

  const listen =
    opts.dnsListen ??
    (opts.podGateway && isRoot() ? [{ host: opts.podGateway.address, port: 53 }] : []);
  let dns: ClusterDnsServer | undefined;
  if (listen.length > 0) {
    try {
      dns = await startClusterDns({
        directory: informerDirectory(factory),
        listen,
        domain: opts.clusterDomain,
        logger: log,
      });
      progress(`  cluster DNS on ${dns.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}`);
    } catch (err) {
      // Another cluster on this machine holds the port: pods fall back to the node's resolver.
      const why = err instanceof Error ? err.message : String(err);
      log.warn({ err }, `cluster DNS not started: ${why}`);
      progress(`  cluster DNS not started (${why}); pods use the node's resolver`);
    }
  } else {
    progress('  no cluster DNS on this node (pods share the host network, or not root)');
  }

  const dataPlane: DataPlane =
    mode === 'kernel'
      ? newIptablesDataPlane({
          serviceCIDR: opts.serviceCIDR,
          ...(opts.podGateway ? { localRouteDevice: opts.podGateway.bridge } : {}),
          log,
        })
      : newUserspaceDataPlane({ log });
  const proxy = new ServiceProxy({ informers: factory, nodeName: opts.nodeName, dataPlane, log });
  try {
    await proxy.start(stop.signal);
  } catch (err) {
    stop.abort();
    await dns?.close();
    throw err;
  }
  progress(`  service proxy (${mode}) routing ${proxy.table?.services.length ?? 0} service ports`);
  const lowest = mode === 'userspace' ? lowestBindablePort() : 0;
  const bindable = mode === 'kernel' || canBindServiceCIDR(opts.serviceCIDR);
  if (!bindable) {
    progress(
      `  cluster IPs (${opts.serviceCIDR}) are not served on this node: without root the user-space proxy binds only loopback addresses (127.0.0.0/8); node ports still work`,
    );
  } else if (lowest > 0) {
    progress(
      `  service ports below ${lowest} are not served: binding them needs root (or sysctl net.ipv4.ip_unprivileged_port_start)`,
    );
  }
  let closed: Promise<void> | undefined;
  return {
    proxyMode: mode,
    // Pods reach the API server by the `kubernetes` service only where its address and
    // port can be bound: without root, a loopback range and an unprivileged 443.
    routesClusterIPs: bindable && lowest <= API_SERVICE_PORT,
    dnsServers: dns ? dns.addresses.filter((a) => a.port === 53).map((a) => a.host) : [],
    dns,
    proxy,
    close() {
      closed ??= (async () => {
        stop.abort();
        await proxy.close();
        await dns?.close();
        await factory.stop();
      })();
      return closed;
    },
  };
}

async function chooseMode(choice: ProxyModeChoice): Promise<'kernel' | 'userspace'> {
  if (choice === 'userspace') return 'userspace';
  const usable = isRoot() && (await hasCommand('iptables-restore'));
  if (choice === 'kernel' && !usable) {
    throw new Error(
      'the kernel service proxy needs root and iptables (apt-get install iptables); use --proxy-mode userspace',
    );
  }
  return usable ? 'kernel' : 'userspace';
}

async function hasCommand(cmd: string): Promise<boolean> {
  try {
    await run(cmd, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pod bridge exists before the first pod does, so the DNS can listen on its address
 * and the service range can be routed to it (the CNI bridge plugin takes it over as is).
 */
async function ensureBridge(gw: {
  bridge: string;
  address: string;
  subnet: string;
}): Promise<void> {
  try {
    await run('ip', ['link', 'show', gw.bridge]);
  } catch {
    await run('ip', ['link', 'add', gw.bridge, 'type', 'bridge']);
  }
  const prefix = gw.subnet.split('/')[1] ?? '16';
  const { stdout } = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', gw.bridge]);
  if (!stdout.includes(` ${gw.address}/`)) {
    await run('ip', ['addr', 'add', `${gw.address}/${prefix}`, 'dev', gw.bridge]);
  }
  const pin = bridgeAddressPinArgs(gw.bridge);
  if (pin) await run('ip', pin);
  await run('ip', ['link', 'set', gw.bridge, 'up']);
}
