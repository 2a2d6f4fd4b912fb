import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from '../../src/cli/control-plane.ts';

// An in-process control plane on a free port with a fresh data dir, for tests that need a
// real API server. Tests of the `wharf` command itself spawn the process instead.

export interface TestCluster extends ControlPlane {
  dataDir: string;
  /** kubectl arguments that reach this cluster with a fresh discovery cache. */
  kubectlArgs: string[];
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  storeUrl?: string;
  /** Also run a node agent with this runtime (its Node is named `nodeName`). */
  agent?: {
    runtime: 'docker' | 'process';
    nodeName: string;
    /** Also run the node's service proxy and cluster DNS. */
    network?: { proxyMode: 'kernel' | 'userspace'; clusterDomain?: string };
  };
  /** Reuse a data dir (a restart); default: a fresh one. */
  dataDir?: string;
  /** Silence after which the node lifecycle controller marks a node Unknown. */
  nodeMonitorGracePeriodSeconds?: number;
  /** Listen address of the API server (default 127.0.0.1). */
  host?: string;
  serviceCIDR?: string;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-'));
  const cp = await startControlPlane({
    dataDir,
    port: 0,
    host: opts.host ?? '127.0.0.1',
    ...(opts.serviceCIDR ? { serviceCIDR: opts.serviceCIDR } : {}),
    storeUrl: opts.storeUrl,
    tlsSans: [],
    progress: () => {},
    ...(opts.agent
      ? {
          agent: {
            runtime: opts.agent.runtime,
            nodeName: opts.agent.nodeName,
            ...(opts.agent.network
              ? {
                  network: {
                    proxyMode: opts.agent.network.proxyMode,
                    clusterDomain: opts.agent.network.clusterDomain ?? 'cluster.local',
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(opts.nodeMonitorGracePeriodSeconds !== undefined
      ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds }
      : {}),
  });
  await waitForSystemObjects(cp);
  const cacheDir = path.join(dataDir, 'kubectl-cache');
  return {
    ...cp,
    dataDir,
    kubectlArgs: ['--kubeconfig', cp.kubeconfigPath, '--cache-dir', cacheDir],
    async close() {
      await cp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    /** Stops the cluster but keeps its data dir (and the pods its runtime still runs). */
    async stop() {
      await cp.close();
    },
  };
}

/**
 * Waits until the controllers have put the `default` ServiceAccount and the root CA
 * ConfigMap into every system namespace, so tests start from a settled cluster.
 */
async function waitForSystemObjects(cp: ControlPlane): Promise<void> {
  const wanted = ['default', 'kube-system', 'kube-public', 'kube-node-lease'].flatMap((ns) => [
    `/registry/core/serviceaccounts/${ns}/default`,
    `/registry/core/configmaps/${ns}/kube-root-ca.crt`,
  ]);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const present = await Promise.all(wanted.map((key) => cp.store.get(key)));
    if (present.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the controllers did not create the system namespaces' defaults in 20 s");
}
