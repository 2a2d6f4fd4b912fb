import { Command } from 'commander';
import { openStore } from '../store/index.ts';

// Command definitions only; each action lives in its own module as the cluster grows.

export function buildProgram(): Command {
  const program = new Command('wharf')
    .description('A container orchestrator that speaks the Kubernetes API')
    .version('0.1.0');

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
