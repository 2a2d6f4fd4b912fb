// Makes service IPs local so listeners can bind them. Loopback addresses (127.0.0.0/8,
// ::1) and addresses already on the machine need nothing. Others are put as host routes
// (/32, /128) on a dummy interface, as kube-proxy's IPVS mode does with kube-ipvs0; that
// needs root, so without it such an address is skipped with one warning. A host route
// on an interface that forwards nowhere keeps service traffic on this machine.

import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import net from 'node:net';
import type { Logger } from '../../../client/index.ts';

const execFileAsync = promisify(execFile);

/** Runs `ip` with `args`; resolves with its stderr, empty on success. */
export type RunIp = (args: string[]) => Promise<{ ok: boolean; stderr: string }>;

export const runIp: RunIp = async (args) => {
  // Non-root users often lack /sbin in PATH; `ip` lives there on most distributions.
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  try {
    await execFileAsync('ip', args, { env });
    return { ok: true, stderr: '' };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return { ok: false, stderr: stderr || (err as Error).message };
  }
};

export function isLoopback(ip: string): boolean {
  return ip === '::1' || (net.isIPv4(ip) && ip.startsWith('127.'));
}

export interface ServiceAddressOptions {
  log: Logger;
  iface: string;
  canAdd: boolean;
  runIp?: RunIp;
}

export class ServiceAddresses {
  readonly #log: Logger;
  readonly #iface: string;
  readonly #canAdd: boolean;
  readonly #runIp: RunIp;
  /** Addresses on the dummy interface that this data plane answers for. */
  readonly #added = new Set<string>();
  readonly #warned = new Set<string>();
  #link: 'none' | 'created' | 'adopted' = 'none';

  constructor(opts: ServiceAddressOptions) {
    this.#log = opts.log;
    this.#iface = opts.iface;
    this.#canAdd = opts.canAdd;
    this.#runIp = opts.runIp ?? runIp;
  }

  /**
   * Makes the wanted addresses local where it can and removes the ones it added that are
   * no longer wanted. Resolves with the wanted addresses that can now be bound.
   */
  async sync(wanted: Set<string>): Promise<Set<string>> {
    for (const ip of this.#warned) if (!wanted.has(ip)) this.#warned.delete(ip);
    const local = localAddresses();
    const needLink =
      os.networkInterfaces()[this.#iface] !== undefined ||
      [...wanted].some((ip) => !isLoopback(ip) && !local.has(ip));
    const linkError = this.#canAdd && needLink ? await this.#ensureLink() : null;

    const stale = [...this.#added].filter((ip) => !wanted.has(ip));
    await Promise.all(stale.map((ip) => this.#remove(ip)));
    const bindable = new Set<string>();
    const toAdd: string[] = [];
    for (const ip of wanted) {
      if (isLoopback(ip) || this.#added.has(ip) || local.has(ip)) bindable.add(ip);
      else toAdd.push(ip);
    }
    if (toAdd.length === 0) return bindable;
    if (!this.#canAdd || linkError !== null) {
      const why = this.#canAdd
        ? `cannot create dummy interface ${this.#iface} (${linkError})`
        : `adding it to ${this.#iface} needs root (without root, allocate service IPs ` +
          `from a loopback range such as 127.96.0.0/16)`;
      for (const ip of toAdd) {
        this.#warnOnce(
          ip,
          `service proxy: service IP ${ip} is not an address of this machine, and ${why}; ` +
            `not listening on it`,
        );
      }
      return bindable;
    }
    const added = await Promise.all(toAdd.map((ip) => this.#add(ip)));
    toAdd.forEach((ip, i) => added[i] && bindable.add(ip));
    return bindable;
  }

  /** Removes every address this data plane put on the interface, and the interface if it made it. */
  async close(): Promise<void> {
    if (this.#link === 'created') {
      const res = await this.#runIp(['link', 'del', this.#iface]);
      if (!res.ok) this.#log.warn({ err: res.stderr }, `service proxy: removing ${this.#iface}`);
      this.#added.clear();
    } else {
      await Promise.all([...this.#added].map((ip) => this.#remove(ip)));
    }
    this.#link = 'none';
  }

  /** Creates (or takes over) the dummy interface; resolves with an error text, or null. */
  async #ensureLink(): Promise<string | null> {
    if (this.#link !== 'none') return null;
    let created = await this.#runIp(['link', 'add', this.#iface, 'type', 'dummy']);
    if (!created.ok && /unknown device type|not supported/i.test(created.stderr)) {
      // Kernels built without CONFIG_DUMMY (some VM and sandbox kernels) still have
      // bridges; one without ports holds addresses just as well and sends nothing out.
      this.#log.info(
        { iface: this.#iface },
        'service proxy: no dummy interfaces in this kernel; using a bridge without ports',
      );
      created = await this.#runIp(['link', 'add', this.#iface, 'type', 'bridge']);
    }
    if (!created.ok && !/exists/i.test(created.stderr)) return created.stderr;
    this.#link = created.ok ? 'created' : 'adopted';
    // The interface is wharf's own: host addresses a previous run left on it are taken
    // over, so they are removed once no service wants them instead of staying forever.
    if (!created.ok) {
      for (const info of os.networkInterfaces()[this.#iface] ?? []) {
        if (/\/(32|128)$/.test(info.cidr ?? '')) this.#added.add(info.address);
      }
    }
    const up = await this.#runIp(['link', 'set', this.#iface, 'up']);
    return up.ok ? null : up.stderr;
  }

  async #add(ip: string): Promise<boolean> {
    const res = await this.#runIp(['addr', 'add', prefix(ip), 'dev', this.#iface, ...nodad(ip)]);
    if (res.ok || /exists/i.test(res.stderr)) {
      this.#added.add(ip);
      return true;
    }
    this.#warnOnce(
      ip,
      `service proxy: cannot add service IP ${ip} to ${this.#iface} (${res.stderr}); ` +
        `not listening on it`,
    );
    return false;
  }

  async #remove(ip: string): Promise<void> {
    this.#added.delete(ip);
    const res = await this.#runIp(['addr', 'del', prefix(ip), 'dev', this.#iface]);
    if (!res.ok) {
      this.#log.warn({ address: ip, err: res.stderr }, `service proxy: removing service IP`);
    }
  }

  #warnOnce(ip: string, message: string): void {
    if (this.#warned.has(ip)) return;
    this.#warned.add(ip);
    this.#log.warn({ address: ip }, message);
  }
}

function prefix(ip: string): string {
  return net.isIPv6(ip) ? `${ip}/128` : `${ip}/32`;
}

// Duplicate address detection would hold a new IPv6 address as tentative (unbindable)
// for a second or more; the address is a host route on a dummy, so it is pointless.
function nodad(ip: string): string[] {
  return net.isIPv6(ip) ? ['nodad'] : [];
}

function localAddresses(): Set<string> {
  const found = new Set<string>();
  for (const infos of Object.values(os.networkInterfaces())) {
    for (const info of infos ?? []) found.add(info.address);
  }
  return found;
}
