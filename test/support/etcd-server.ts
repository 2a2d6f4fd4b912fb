import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

// A throwaway single-member etcd for tests: its own data directory and loopback ports,
// killed with the test process however that ends.

export interface EtcdServer {
  /** Store URL for openStore: `etcd://127.0.0.1:PORT`. */
  url: string;
  /** Client URLs: `http://127.0.0.1:PORT`. */
  hosts: string[];
  stop(): Promise<void>;
}

const ETCD = '/usr/bin/etcd';
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_BYTES = 4_000;

/** Servers still running, killed synchronously if the process exits first. */
const running = new Set<{ child: ChildProcess; dataDir: string }>();
let exitHookInstalled = false;

function killAll(): void {
  for (const server of running) {
    server.child.kill('SIGKILL');
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  running.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  // A signal ends the process without 'exit'. Clean up, then let the signal do what it
  // would have done: die of it, unless someone else handles it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEtcd(): Promise<EtcdServer> {
  // The free ports are only free when picked; another process may take one before etcd
  // binds it, so a start that loses that race is tried again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('address already in use')) throw err;
    }
  }
}

async function startOnce(): Promise<EtcdServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  installExitHook();
  const child = spawn(
    ETCD,
    [
      `--name=wharf-test`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=wharf-test=${peerUrl}`,
      '--initial-cluster-state=new',
      // Values of MAX_VALUE_BYTES plus the request around them.
      '--max-request-bytes=2097152',
      '--quota-backend-bytes=8589934592',
      // One member needs no slow election timing, and etcd's minimum lease TTL follows
      // from it (1.5 election timeouts, rounded up): 1 s instead of 2 s.
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--logger=zap',
      '--log-level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const server = { child, dataDir };
  running.add(server);

  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (err) => resolve(`could not start: ${err.message}`));
  });

  const stop = async (): Promise<void> => {
    if (running.delete(server)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  const giveUp = new AbortController();
  void exited.then(() => giveUp.abort());
  const failure = await Promise.race([waitUntilServing(clientUrl, giveUp.signal), exited]);
  giveUp.abort();
  if (failure !== undefined) {
    await stop();
    throw new Error(`etcd at ${clientUrl} did not start: ${failure}\n${stderr}`);
  }
  return { url: `etcd://127.0.0.1:${clientPort}`, hosts: [clientUrl], stop };
}

/** Resolves undefined once etcd serves reads, or a reason when it does not in time. */
async function waitUntilServing(
  clientUrl: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const client = new Etcd3({ hosts: clientUrl });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer';
  try {
    while (Date.now() < deadline && !signal.aborted) {
      try {
        await client.kv.range({ key: Buffer.from([0]) }, { deadline: Date.now() + 1_000 });
        return undefined;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return `no answer within ${READY_TIMEOUT_MS} ms (last error: ${lastError})`;
  } finally {
    client.close();
  }
}
