// The service CIDR as the allocator sees it: an IPv4 block whose usable addresses are
// numbered from 0, without the network and broadcast addresses. IPv6 service ranges are
// not supported yet; asking for one is refused at start-up with that reason.

export interface IpRange {
  readonly cidr: string;
  /** Usable addresses. */
  readonly size: number;
  contains(ip: string): boolean;
  /** The `offset`-th usable address. */
  at(offset: number): string;
  offsetOf(ip: string): number;
}

export function ipv4ToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseServiceCIDR(cidr: string): IpRange {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const base = ipv4ToNumber(addr ?? '');
  if (base === null || !/^\d+$/.test(bitsText ?? '') || bits < 0 || bits > 32) {
    throw new Error(`service CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR like 10.96.0.0/12`);
  }
  if (bits > 30) throw new Error(`service CIDR ${cidr} is too small: use /30 or larger`);
  if (bits < 12) throw new Error(`service CIDR ${cidr} is too large: use /12 or smaller`);
  const blockSize = 2 ** (32 - bits);
  const network = base - (base % blockSize);
  if (network !== base) {
    throw new Error(
      `service CIDR ${cidr} has host bits set; did you mean ${numberToIpv4(network)}/${bits}?`,
    );
  }
  const first = network + 1;
  const size = blockSize - 2;
  return {
    cidr,
    size,
    contains(ip) {
      const n = ipv4ToNumber(ip);
      return n !== null && n >= first && n < first + size;
    },
    at(offset) {
      return numberToIpv4(first + offset);
    },
    offsetOf(ip) {
      const n = ipv4ToNumber(ip);
      return n === null ? -1 : n - first;
    },
  };
}
