import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../../../client/index.ts';
import type { DataPlane, ProxyTable } from '../types.ts';
import { staleUdpFlows, type ConntrackFilter } from './conntrack.ts';
import { driftFrom, parseIptablesSave, renderCleanup, renderRestore } from './restore.ts';
import { serviceRules } from './rules.ts';

// The kernel data plane: kube-proxy's iptables mode (see rules.ts for the rules and why
// they masquerade). Each apply reads iptables-save once, then writes one iptables-restore
// --noflush transaction per table, so the rules never show a half-applied table. Then it
// deletes the conntrack entries of UDP flows the new table leaves stale (conntrack.ts).
// `verify` tells the proxy when another tool flushed or deleted what the last apply wrote.
//
// Besides rules it sets up, once, what the rules need from the node:
// - `ip route replace <serviceCIDR> dev <localRouteDevice>`: the host's own connections to
//   a VIP pick a source on that device and, should the VIP have no rule, stay on the
//   local bridge instead of leaving by the default gateway.
// - net.ipv4.conf.all.route_localnet=1, which DNAT to a pod from 127.0.0.1 (a node port
//   on localhost) needs; the WHARF-FIREWALL chain drops what it would otherwise let in.
//   Restored on close if it was 0.

const run = promisify(execFile);
const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

export interface IptablesDataPlaneOptions {
  /** The service IP range, e.g. 10.96.0.0/12; routed to `localRouteDevice`. */
  serviceCIDR: string;
  /** The bridge the service range is routed to (e.g. wharf0); no route when absent. */
  localRouteDevice?: string;
  log: Logger;
}

export function newIptablesDataPlane(opts: IptablesDataPlaneOptions): IptablesDataPlane {
  return new IptablesDataPlane(opts);
}

export class IptablesDataPlane implements DataPlane {
  readonly mode = 'kernel' as const;
  readonly #opts: IptablesDataPlaneOptions;
  #prepared = false;
  #routeAdded = false;
  #localnetWas: string | undefined;
  #closed = false;
  /** The table the installed rules were rendered from; undefined before the first apply. */
  #applied: ProxyTable | undefined;
  /** conntrack(8), or null when it is not installed (stale UDP flows then idle out). */
  #conntrack: string | null | undefined;
  /** Serializes apply and close: iptables-save then restore must not interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: IptablesDataPlaneOptions) {
    this.#opts = opts;
  }

  apply(table: ProxyTable): Promise<void> {
    return this.#serialize(async () => {
      if (this.#closed) throw new Error('iptables data plane: apply after close');
      if (!this.#prepared) await this.#prepare();
      const installed = parseIptablesSave(await iptablesSave());
      await iptablesRestore(renderRestore(table, installed));
      const stale = staleUdpFlows(this.#applied, table);
      this.#applied = table;
      await this.#deleteFlows(stale);
    });
  }

  verify(): Promise<string[]> {
    return this.#serialize(async () => {
      if (this.#closed || !this.#applied) return [];
      return driftFrom(serviceRules(this.#applied), parseIptablesSave(await iptablesSave()));
    });
  }

  /** Failures are logged, not thrown: the rules are in place, the flows idle out anyway. */
  async #deleteFlows(filters: ConntrackFilter[]): Promise<void> {
    if (filters.length === 0 || !this.#conntrack) return;
    for (const filter of filters) {
      try {
        await run(this.#conntrack, ['-D', ...filter]);
      } catch (err) {
        // Exit status 1 with "0 flow entries have been deleted": nothing matched.
        if ((err as { code?: number }).code === 1 && /0 flow entries/.test(stderrOf(err))) continue;
        this.#opts.log.warn(
          { err, filter },
          'iptables data plane: deleting stale UDP flows failed',
        );
      }
    }
  }

  close(): Promise<void> {
    return this.#serialize(async () => {
      if (this.#closed) return;
      this.#closed = true;
      const errors: unknown[] = [];
      const attempt = async (what: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
          this.#opts.log.error({ err }, `iptables data plane: ${what} failed on close`);
        }
      };
      await attempt('removing rules', async () => {
        const text = renderCleanup(parseIptablesSave(await iptablesSave()));
        if (text) await iptablesRestore(text);
      });
      const { serviceCIDR, localRouteDevice } = this.#opts;
      if (this.#routeAdded && localRouteDevice)
        await attempt('removing the route', async () => {
          try {
            await run('ip', ['route', 'del', serviceCIDR, 'dev', localRouteDevice]);
          } catch (err) {
            // Already gone (the device went away with its routes): nothing to undo.
            if (!/No such process|Cannot find device/.test(stderrOf(err))) throw err;
          }
        });
      if (this.#localnetWas === '0')
        await attempt('restoring route_localnet', () => fs.writeFile(ROUTE_LOCALNET, '0\n'));
      if (errors.length > 0) throw new AggregateError(errors, 'iptables data plane: close failed');
    });
  }

  async #prepare(): Promise<void> {
    const { serviceCIDR, localRouteDevice, log } = this.#opts;
    if (localRouteDevice) {
      try {
        // A route someone else made (the network setup, say) is used, and left on close.
        const { stdout } = await run('ip', ['-o', 'route', 'show', 'exact', serviceCIDR]);
        if (!new RegExp(`\\bdev ${localRouteDevice}\\b`).test(stdout)) {
          await run('ip', ['route', 'replace', serviceCIDR, 'dev', localRouteDevice]);
          this.#routeAdded = true;
        }
      } catch (err) {
        throw new Error(`routing ${serviceCIDR} to ${localRouteDevice}: ${stderrOf(err)}`);
      }
    }
    const localnet = (await fs.readFile(ROUTE_LOCALNET, 'utf8')).trim();
    if (localnet !== '1') {
      await fs.writeFile(ROUTE_LOCALNET, '1\n');
      this.#localnetWas = localnet;
    }
    this.#conntrack = await findConntrack();
    if (!this.#conntrack) {
      log.warn(
        {},
        'iptables data plane: conntrack not found (apt-get install conntrack): UDP flows to a removed endpoint keep going to it until they idle out',
      );
    }
    this.#prepared = true;
    log.info({ serviceCIDR, localRouteDevice }, 'iptables data plane: prepared');
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

async function findConntrack(): Promise<string | null> {
  try {
    await run('conntrack', ['--version']);
    return 'conntrack';
  } catch {
    return null;
  }
}

async function iptablesSave(): Promise<string> {
  try {
    const { stdout } = await run('iptables-save', [], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new Error(`iptables-save: ${stderrOf(err)}`);
  }
}

/** Feeds `input` to `iptables-restore --noflush`; rejects with its stderr and the failing lines. */
function iptablesRestore(input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('iptables-restore', ['-w', '5', '--noflush'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject(new Error(`iptables-restore: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const lines = input.split('\n');
      const failing = [...stderr.matchAll(/line (\d+)/g)].map((m) => lines[Number(m[1]) - 1]);
      reject(
        new Error(
          `iptables-restore exited with ${code}: ${stderr.trim()}` +
            (failing.length > 0 ? ` (at: ${failing.join(' | ')})` : ''),
        ),
      );
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}
