import { join } from 'node:path';
import { mkdir, readdir, readFile, rename, rm, writeFile } from '../host/index.ts';

// Pod addresses, kept exactly as the CNI host-local plugin keeps them, in its directory
// (/var/lib/cni/networks/<network>): one file per address in use, named by the address,
// holding "<container id>\r\n<interface>", created with O_EXCL, and where the round
// stands in `last_reserved_ip.0`. O_EXCL makes a claim atomic without host-local's
// lock file, so agents of this version, older agents (which ran host-local itself) and
// host-local's own DEL all share one pool on a machine and never hand out an address twice.
//
// Addresses are handed out round-robin from the one after the last reserved, as
// host-local does, skipping the network, the gateway (the first address) and broadcast;
// within a range of the subnet when the rest is another allocator's (host-local's
// rangeStart/rangeEnd): the docker engine's, on the engine's network (rangeBeside).

const LINE_BREAK = '\r\n';
const LAST_RESERVED = 'last_reserved_ip.0';

export const HOST_LOCAL_DIR = '/var/lib/cni/networks';

function toNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function toAddress(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Subnet {
  /** The network's own address as a number. */
  base: number;
  prefix: number;
  size: number;
}

export function parseSubnet(cidr: string): Subnet {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!ip || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    throw new Error(`not an IPv4 subnet between /8 and /30: ${cidr}`);
  }
  const size = 2 ** (32 - prefix);
  return { base: toNumber(ip) - (toNumber(ip) % size), prefix, size };
}

/** First and last address of a CIDR as numbers; any prefix from /0 to /32. */
function boundsOf(cidr: string): { first: number; last: number } {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!ip || bits === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - prefix);
  const first = toNumber(ip) - (toNumber(ip) % size);
  return { first, last: first + size - 1 };
}

/** The two halves of a subnet, as CIDRs: lower, upper. */
export function halvesOf(cidr: string): [string, string] {
  const { base, prefix, size } = parseSubnet(cidr);
  return [`${toAddress(base)}/${prefix + 1}`, `${toAddress(base + size / 2)}/${prefix + 1}`];
}

/**
 * The half of `subnet` a pool may hand out when another allocator hands out `taken` (a
 * CIDR: the docker engine's IPRange): the half `taken` stays out of. Nothing taken means
 * the engine's whole subnet, which it fills lowest address first: the upper half then.
 * Undefined when `taken` is all of the subnet (or more).
 */
export function rangeBeside(subnet: string, taken: string | undefined): string | undefined {
  const [lower, upper] = halvesOf(subnet);
  if (!taken) return upper;
  const t = boundsOf(taken);
  const inside = (half: string) => {
    const h = boundsOf(half);
    return t.first >= h.first && t.last <= h.last;
  };
  if (inside(lower)) return upper;
  if (inside(upper)) return lower;
  return undefined;
}

/** The gateway (the bridge's address): the subnet's first address, as CNI's bridge takes it. */
export function gatewayOf(cidr: string): string {
  return toAddress(parseSubnet(cidr).base + 1);
}

let pools = 0;

export interface AddressPoolOptions {
  /** Default: host-local's /var/lib/cni/networks. */
  root?: string;
  /** A CIDR inside the subnet: addresses are handed out only from it. Default: all. */
  range?: string;
}

export class AddressPool {
  readonly dir: string;
  readonly #subnet: Subnet;
  /** Offsets in the subnet of the first and last address handed out. */
  readonly #first: number;
  readonly #lastUsable: number;
  /** Offset of the last address handed out (or found reserved); read from disk once. */
  #cursor?: Promise<number>;
  #last = 0;
  /** The cursor as this pool last wrote it. */
  #cursorWritten = '';
  readonly #id = ++pools;
  #noted = Promise.resolve();

  constructor(networkName: string, subnet: string, options: AddressPoolOptions = {}) {
    this.dir = join(options.root ?? HOST_LOCAL_DIR, networkName);
    const s = (this.#subnet = parseSubnet(subnet));
    // Offsets 2 … size-2: not the network, the gateway or broadcast.
    this.#first = 2;
    this.#lastUsable = s.size - 2;
    if (options.range) {
      const { first, last } = boundsOf(options.range);
      if (first < s.base || last >= s.base + s.size) {
        throw new Error(`the range ${options.range} is not inside ${subnet}`);
      }
      this.#first = Math.max(this.#first, first - s.base);
      this.#lastUsable = Math.min(this.#lastUsable, last - s.base);
      if (this.#first > this.#lastUsable) {
        throw new Error(`the range ${options.range} leaves no address of ${subnet} to hand out`);
      }
    }
  }

  /** Reserves a free address for the container's interface; returns it (no prefix). */
  async allocate(containerId: string, ifname: string): Promise<string> {
    await (this.#cursor ??= this.#readCursor());
    const { base } = this.#subnet;
    const first = this.#first;
    const last = this.#lastUsable;
    for (let tried = 0; tried <= last - first; tried++) {
      // Advanced before the await: concurrent allocations of this process never collide.
      this.#last = this.#last >= last || this.#last < first ? first : this.#last + 1;
      const address = toAddress(base + this.#last);
      if (await this.#claim(address, `${containerId}${LINE_BREAK}${ifname}`)) {
        // The cursor, written one write after the other: the file ends with how far this
        // pool got, whichever allocation finishes last.
        const file = join(this.dir, LAST_RESERVED);
        const cursor = () => toAddress(base + this.#last);
        // Not waited for: the address is this pod's already.
        this.#noted = this.#noted.then(() => this.#writeCursor(file, cursor()));
        return address;
      }
    }
    const where =
      first === 2 && last === this.#subnet.size - 2
        ? `${toAddress(base)}/${this.#subnet.prefix}`
        : `${toAddress(base + first)}–${toAddress(base + last)}`;
    throw new Error(`no free address left in ${where}`);
  }

  /**
   * Replaces the cursor file whole (a new file renamed over it): a reader, or an agent
   * starting after a crash, never finds it truncated. Unchanged values are not written.
   */
  async #writeCursor(file: string, value: string): Promise<void> {
    if (value === this.#cursorWritten) return;
    // Named for this pool: two pools of one process on the same network (two agents) must
    // not write one temporary file at once.
    const next = `${file}.${process.pid}-${this.#id}.next`;
    try {
      await writeFile(next, value);
      await rename(next, file);
      this.#cursorWritten = value;
    } catch {
      await rm(next, { force: true }).catch(() => undefined);
    }
  }

  /** Releases the address if the container still holds it. Idempotent. */
  async release(address: string, containerId: string): Promise<void> {
    const file = join(this.dir, address);
    const holder = await readFile(file, 'utf8').catch(() => undefined);
    if (holder !== undefined && holder.split(LINE_BREAK)[0]?.trim() === containerId) {
      await rm(file, { force: true });
    }
  }

  /** Releases whatever the container holds (when its record lacks the address). */
  async releaseAll(containerId: string): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)).map((n) => this.release(n, containerId)),
    );
  }

  /**
   * Claims a given address for the container (one another runtime handed out before this
   * pool knew it). True when the container holds it now, false when someone else does.
   */
  async reserve(address: string, containerId: string, ifname: string): Promise<boolean> {
    const { base, size } = this.#subnet;
    const offset = toNumber(address) - base;
    if (offset < 2 || offset > size - 2) return false; // not ours to hand out
    await mkdir(this.dir, { recursive: true });
    if (await this.#claim(address, `${containerId}${LINE_BREAK}${ifname}`)) return true;
    return (await this.holders()).get(containerId) === address;
  }

  /** Who holds what: container id to address, for the addresses of this subnet. */
  async holders(): Promise<Map<string, string>> {
    const { base, size } = this.#subnet;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const ours = names.filter((n) => {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(n)) return false;
      const offset = toNumber(n) - base;
      return offset >= 0 && offset < size;
    });
    const held = new Map<string, string>();
    await Promise.all(
      ours.map(async (address) => {
        const holder = await readFile(join(this.dir, address), 'utf8').catch(() => undefined);
        const id = holder?.split(LINE_BREAK)[0]?.trim();
        if (id) held.set(id, address);
      }),
    );
    return held;
  }

  async #claim(address: string, holder: string): Promise<boolean> {
    const file = join(this.dir, address);
    try {
      await writeFile(file, holder, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      await rm(file, { force: true }); // created, yet not written
      throw err;
    }
  }

  async #readCursor(): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const last = await readFile(join(this.dir, LAST_RESERVED), 'utf8').catch(() => '');
    try {
      const offset = toNumber(last.trim()) - this.#subnet.base;
      if (offset > 0 && offset < this.#subnet.size) this.#last = offset;
    } catch {
      // none yet, or another subnet's: start at the beginning
    }
    return this.#last;
  }
}
