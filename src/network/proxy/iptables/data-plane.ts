import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../../../client/index.ts';
import type { DataPlane, ProxyTable } from '../types.ts';
import { parseIptablesSave, renderCleanup, renderRestore } from './restore.ts';

// The kernel data plane: kube-proxy's iptables mode (see rules.ts for the rules and why
// they masquerade). Each apply reads iptables-save once, then writes one iptables-restore
// --noflush transaction per table, so the rules never show a half-applied table.
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
    });
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
    this.#prepared = true;
    log.info({ serviceCIDR, localRouteDevice }, 'iptables data plane: prepared');
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
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
