import fs from 'node:fs';
import path from 'node:path';
import { startControlPlane } from './control-plane.ts';
import { lockDataDir } from './data-dir.ts';
import { defaultServiceCIDR, type ProxyModeChoice } from '../network/index.ts';
import { mergeIntoUserKubeconfig } from './kubeconfig.ts';

// `wharf up`: the whole cluster in the foreground. One progress line per component, one
// line when ready, a clean stop on SIGINT/SIGTERM.

export interface UpOptions {
  dataDir: string;
  port: number;
  host: string;
  store?: string;
  tlsSan: string[];
  writeKubeconfig: boolean;
  /** The node agent's runtime; absent for `wharf server` (control plane only). */
  runtime?: 'auto' | 'docker' | 'process';
  nodeMonitorGracePeriod?: number;
  nodeName?: string;
  /** Absent: 10.96.0.0/12, or without root a loopback range (see defaultServiceCIDR). */
  serviceCidr?: string;
  proxyMode?: ProxyModeChoice;
  clusterDomain?: string;
}

export async function runUp(opts: UpOptions): Promise<void> {
  const dataDir = path.resolve(opts.dataDir);
  const started = Date.now();
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`wharf: starting a cluster in ${dataDir}`);
  const unlock = lockDataDir(dataDir);
  // This node is the cluster's first: its reach decides where cluster IPs can come from.
  const fallback = opts.runtime && !opts.serviceCidr ? defaultServiceCIDR() : undefined;
  if (fallback) out(`  ${fallback.why}`);
  const serviceCidr = opts.serviceCidr ?? fallback?.cidr;
  let cp;
  try {
    cp = await startControlPlane({
      dataDir,
      port: opts.port,
      host: opts.host,
      storeUrl: opts.store,
      tlsSans: opts.tlsSan,
      progress: out,
      ...(serviceCidr ? { serviceCIDR: serviceCidr } : {}),
      ...(opts.nodeMonitorGracePeriod !== undefined
        ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriod }
        : {}),
      ...(opts.runtime
        ? {
            agent: {
              runtime: opts.runtime,
              ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
              network: {
                proxyMode: opts.proxyMode ?? 'auto',
                clusterDomain: opts.clusterDomain ?? 'cluster.local',
              },
            },
          }
        : {}),
    });
  } catch (err) {
    unlock();
    throw err;
  }
  if (opts.writeKubeconfig) {
    const file = mergeIntoUserKubeconfig({ server: cp.url, caPem: cp.caPem, token: cp.token });
    out(`  merged context "wharf" into ${file}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  out(`wharf is ready in ${seconds}s: kubeconfig ${cp.kubeconfigPath} · API ${cp.url}`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      out(`wharf: ${signal} received, shutting down`);
      void cp
        .close()
        .catch((err: unknown) =>
          process.stderr.write(`wharf: error while shutting down: ${String(err)}\n`),
        )
        .finally(() => {
          unlock();
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  out('wharf: stopped');
}

export function printKubeconfig(dataDir: string): void {
  const file = path.join(path.resolve(dataDir), 'kubeconfig.yaml');
  if (!fs.existsSync(file)) {
    throw new Error(
      `no kubeconfig at ${file}: start the cluster first with \`wharf up --data-dir ${dataDir}\``,
    );
  }
  process.stdout.write(fs.readFileSync(file, 'utf8'));
}
