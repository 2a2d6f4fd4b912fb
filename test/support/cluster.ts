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
}

export async function startTestCluster(opts: { storeUrl?: string } = {}): Promise<TestCluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-'));
  const cp = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    storeUrl: opts.storeUrl,
    tlsSans: [],
    progress: () => {},
  });
  const cacheDir = path.join(dataDir, 'kubectl-cache');
  return {
    ...cp,
    dataDir,
    kubectlArgs: ['--kubeconfig', cp.kubeconfigPath, '--cache-dir', cacheDir],
    async close() {
      await cp.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
