import type { ProxyTable } from '../types.ts';
import { DYNAMIC_CHAIN, FIXED_CHAINS, JUMPS, type TableName } from './chains.ts';
import { serviceRules, type RuleSet } from './rules.ts';

// iptables-restore input for `iptables-restore --noflush`: only the chains named in it
// change, each in one transaction per table. Declaring a chain (`:NAME - [0:0]`) creates
// or flushes it, so every apply rewrites all of wharf's chains whole; chains of services
// that are gone are declared (flushed) and deleted (`-X`) in the same transaction, and jumps
// from the built-in chains are inserted only when iptables-save shows them missing — the
// atomic equivalent of `iptables -C` before `iptables -I`.

/** What iptables-save shows of wharf's rules. */
export interface InstalledRules {
  /** Chains of ours (fixed and per-service), per table. */
  chains: Record<TableName, Set<string>>;
  /** Rules in other chains that jump into ours, as iptables-save prints them (`-A ...`). */
  jumps: Record<TableName, string[]>;
  /** How many rules each chain of ours holds. */
  ruleCounts: Record<TableName, Map<string, number>>;
}

const TABLES: readonly TableName[] = ['nat', 'filter'];

export function emptyInstalled(): InstalledRules {
  return {
    chains: { nat: new Set(), filter: new Set() },
    jumps: { nat: [], filter: [] },
    ruleCounts: { nat: new Map(), filter: new Map() },
  };
}

/** Ours: the fixed chains and the per-service ones; other WHARF- chains are left alone. */
function isOurs(table: TableName, chain: string): boolean {
  return FIXED_CHAINS[table].includes(chain) || DYNAMIC_CHAIN.test(chain);
}

export function parseIptablesSave(text: string): InstalledRules {
  const installed = emptyInstalled();
  let table: TableName | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = name === 'nat' || name === 'filter' ? name : undefined;
    } else if (!table) {
      continue;
    } else if (line.startsWith(':')) {
      const chain = line.slice(1).split(' ')[0]!;
      if (isOurs(table, chain)) installed.chains[table].add(chain);
    } else if (line.startsWith('-A ')) {
      const [, from, target] = /^-A (\S+) .*-j (\S+)(?: |$)/.exec(line) ?? [];
      if (from && target && !isOurs(table, from) && isOurs(table, target))
        installed.jumps[table].push(line.trimEnd());
      const chain = line.slice(3).split(' ')[0]!;
      if (isOurs(table, chain)) {
        installed.ruleCounts[table].set(chain, (installed.ruleCounts[table].get(chain) ?? 0) + 1);
      }
    }
  }
  return installed;
}

function hasJump(installed: InstalledRules, jump: (typeof JUMPS)[number]): boolean {
  return installed.jumps[jump.table].some(
    (line) => line.startsWith(`-A ${jump.chain} `) && line.endsWith(`-j ${jump.target}`),
  );
}

/**
 * What another tool changed of the rules an apply of `table` installed — a flushed or
 * deleted chain of ours, a jump gone from a built-in chain — one phrase each; empty when
 * all is in place. Rules are compared by count per chain: iptables-save rewrites rule
 * text (`-d 10.96.0.1/32`, quoting), and flushing or deleting is what other tools do
 * (`iptables -F`, `iptables -t nat -F`, a firewall reload), not editing one rule.
 */
export function driftFrom(rules: RuleSet, installed: InstalledRules): string[] {
  const drift: string[] = [];
  for (const t of TABLES) {
    for (const [chain, specs] of rules[t]) {
      if (!installed.chains[t].has(chain)) drift.push(`${t} chain ${chain} is gone`);
      else if ((installed.ruleCounts[t].get(chain) ?? 0) !== specs.length) {
        drift.push(
          `${t} chain ${chain} holds ${installed.ruleCounts[t].get(chain) ?? 0} rules, not ${specs.length}`,
        );
      }
    }
  }
  for (const jump of JUMPS) {
    if (!hasJump(installed, jump))
      drift.push(`the jump from ${jump.table} ${jump.chain} to ${jump.target} is gone`);
  }
  return drift;
}

/** The restore input that makes the node route by `table`, given what is installed now. */
export function renderRestore(
  table: ProxyTable,
  installed: InstalledRules = emptyInstalled(),
): string {
  const rules = serviceRules(table);
  const out: string[] = [];
  for (const t of TABLES) {
    const chains = rules[t];
    const stale = [...installed.chains[t]]
      .filter((c) => DYNAMIC_CHAIN.test(c) && !chains.has(c))
      .sort();
    out.push(`*${t}`);
    // Fixed chains first, then per-service chains sorted, so equal tables give equal text.
    const names = [
      ...FIXED_CHAINS[t],
      ...[...chains.keys()].filter((c) => !FIXED_CHAINS[t].includes(c)).sort(),
    ];
    for (const c of [...names, ...stale]) out.push(`:${c} - [0:0]`);
    for (const c of names) for (const spec of chains.get(c)!) out.push(`-A ${c} ${spec}`);
    for (const c of stale) out.push(`-X ${c}`);
    for (const jump of JUMPS) {
      if (jump.table !== t) continue;
      if (!hasJump(installed, jump)) out.push(`-I ${jump.chain} 1 ${jump.spec} -j ${jump.target}`);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** The restore input that removes every jump and chain of wharf's that is installed. */
export function renderCleanup(installed: InstalledRules): string {
  const out: string[] = [];
  for (const t of TABLES) {
    const chains = [...installed.chains[t]].sort();
    if (chains.length === 0 && installed.jumps[t].length === 0) continue;
    out.push(`*${t}`);
    // Flushing every chain first drops the references between them, so any order of -X works.
    for (const c of chains) out.push(`:${c} - [0:0]`);
    for (const line of installed.jumps[t]) out.push(`-D ${line.slice(3)}`);
    for (const c of chains) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}
