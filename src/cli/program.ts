import { Command, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../store/index.ts';
import { runAgent, type AgentCommandOptions } from './agent-command.ts';
import { defaultDataDir } from './data-dir.ts';
import { readJoinToken } from './join-token.ts';
import { printKubeconfig, runUp, type UpOptions } from './up.ts';

// Command definitions only; each action lives in its own module.

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function seconds(value: string): number {
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`expected a number of seconds, not ${value}`);
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--port must be a number from 0 to 65535, not ${value}`);
  return n;
}

/** Service networking flags shared by `up` and `agent`. */
const networkOptions = (cmd: Command) =>
  cmd
    .option(
      '--service-cidr <cidr>',
      'range cluster IPs come from (must match on every node; `wharf up` without root: 127.96.0.0/16)',
      '10.96.0.0/12',
    )
    .addOption(
      new Option(
        '--proxy-mode <mode>',
        'service proxy data plane: kernel (iptables, root) or userspace',
      )
        .choices(['auto', 'kernel', 'userspace'])
        .default('auto'),
    )
    .option('--cluster-domain <domain>', 'the cluster DNS zone', 'cluster.local');

export function buildProgram(): Command {
  const program = new Command('wharf')
    .description('A container orchestrator that speaks the Kubernetes API')
    .version('0.1.0');

  const serverOptions = (cmd: Command) =>
    cmd
      .option(
        '--data-dir <dir>',
        'where the cluster keeps its state ($WHARF_DATA_DIR or ~/.wharf)',
        defaultDataDir(),
      )
      .option('--port <port>', 'HTTPS port of the API server', port, 6443)
      .option('--host <address>', 'address the API server listens on', '0.0.0.0')
      .option(
        '--store <url>',
        'store URL: sqlite:///path/state.db (default, in the data dir) or etcd://host:2379,…',
      )
      .option(
        '--tls-san <name>',
        'extra name or address for the serving certificate (repeatable)',
        collect,
        [],
      )
      .option(
        '--write-kubeconfig',
        'also merge the admin context "wharf" into ~/.kube/config',
        false,
      )
      .addOption(
        new Option('--runtime <runtime>', 'container runtime for the node agent')
          .choices(['auto', 'docker', 'process'])
          .default('auto'),
      )
      .option(
        '--node-monitor-grace-period <seconds>',
        'silence after which a node is marked Unknown and its pods are evicted after their tolerations (default 40)',
        seconds,
      )
      .option('--node-name <name>', "name of this machine's Node (default: the host name)");

  networkOptions(
    serverOptions(
      program.command('up').description('start an all-in-one cluster in the foreground'),
    ),
  ).action(async (o: UpOptions & { serviceCidr: string }, cmd: Command) => {
    // Only a range the user chose is kept; otherwise runUp picks one this node can serve.
    const chosen = cmd.getOptionValueSource('serviceCidr') !== 'default';
    await runUp({ ...o, serviceCidr: chosen ? o.serviceCidr : undefined });
  });

  serverOptions(
    program.command('server').description('run the control plane only (no node agent)'),
  ).action(async (o: UpOptions) => {
    await runUp({ ...o, runtime: undefined });
  });

  program
    .command('kubeconfig')
    .description('print the admin kubeconfig of a cluster')
    .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
    .action((o: { dataDir: string }) => printKubeconfig(o.dataDir));

  program
    .command('join-token')
    .alias('token')
    .description('print the token with which other machines join this cluster (wharf agent)')
    .option('--data-dir <dir>', 'the cluster data dir', defaultDataDir())
    .action((o: { dataDir: string }) => {
      process.stdout.write(readJoinToken(o.dataDir) + '\n');
    });

  networkOptions(program.command('agent'))
    .description('join a cluster as a node: run pods bound to this machine')
    .requiredOption('--server <url>', 'URL of the API server, e.g. https://10.0.0.5:6443')
    .requiredOption('--token <token>', 'join token: `wharf join-token` on the control plane')
    .option('--node-name <name>', "name of this machine's Node (default: the host name)")
    .addOption(
      new Option('--runtime <runtime>', 'container runtime')
        .choices(['auto', 'docker', 'process'])
        .default('auto'),
    )
    .option(
      '--data-dir <dir>',
      'where the agent keeps its state ($WHARF_DATA_DIR or ~/.wharf-agent)',
      process.env.WHARF_DATA_DIR || path.join(os.homedir(), '.wharf-agent'),
    )
    .option(
      '--node-ip <ip>',
      "the Node's address, by which the API server reaches the agent (default: the default route's)",
    )
    .option('--port <port>', "HTTPS port of the agent's endpoint (0: any free port)", port, 10250)
    .action(async (o: AgentCommandOptions & { serviceCidr: string }, cmd: Command) => {
      // A range the user did not choose is the cluster's, read from it once joined.
      const chosen = cmd.getOptionValueSource('serviceCidr') !== 'default';
      await runAgent({ ...o, serviceCidr: chosen ? o.serviceCidr : undefined });
    });

  program
    .command('store-check')
    .description('open a store and print its revision (sqlite:///path/state.db, etcd://host:2379)')
    .argument('<url>', 'store URL')
    .action(async (url: string) => {
      const store = await openStore(url);
      try {
        const [revision, compacted] = await Promise.all([
          store.currentRevision(),
          store.compactedRevision(),
        ]);
        console.log(JSON.stringify({ backend: store.name, revision, compacted }));
      } finally {
        await store.close();
      }
    });

  return program;
}
