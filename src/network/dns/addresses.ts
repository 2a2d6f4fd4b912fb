import { isIPv4, isIPv6 } from 'node:net';

// Addresses as DNS names spell them: dashed (`10-0-0-1`, CoreDNS's endpoint and pod
// names) and reversed (`1.0.0.10.in-addr.arpa`). IPv6 addresses are compared in one
// canonical form, fully expanded, because the API keeps whatever spelling it was given.

/** The expanded, lower-case form of an IPv6 address; IPv4 addresses unchanged; undefined if neither. */
export function canonicalIP(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const octets = v4[1]!.split('.').map(Number);
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    text = `${text.slice(0, v4.index)}${hex(octets[0]!, octets[1]!)}:${hex(octets[2]!, octets[3]!)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.padStart(4, '0')).join(':');
}

/** `10.0.0.1` → `10-0-0-1`; `fd00::1` → `fd00--1`. */
export function dashedIP(ip: string): string {
  return ip.toLowerCase().replace(/[.:]/g, '-');
}

/** The address a dashed label spells; undefined if it spells none. */
export function ipFromDashed(label: string): string | undefined {
  const dotted = label.replace(/-/g, '.');
  if (isIPv4(dotted)) return dotted;
  const coloned = label.replace(/-/g, ':');
  return isIPv6(coloned) ? coloned : undefined;
}

/**
 * The address of a reverse name (`d.c.b.a.in-addr.arpa`, or 32 nibbles under `ip6.arpa`),
 * canonical; undefined for partial or malformed names.
 */
export function ipFromReverseName(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower.endsWith('.in-addr.arpa')) {
    const octets = lower.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o))) return undefined;
    const ip = octets.reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return hex.match(/.{4}/g)!.join(':');
  }
  return undefined;
}

export function isReverseName(name: string): boolean {
  return /\.(in-addr|ip6)\.arpa\.?$/i.test(name);
}
