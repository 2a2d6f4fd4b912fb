import fs from 'node:fs';

// Which service range a node can serve, and which ports of it, by what the process may do.
//
// Without root the user-space proxy can only bind addresses the machine already has: in
// 127.0.0.0/8 every address is local (the loopback route covers the whole block), so
// cluster IPs from a loopback range work for host processes — which is what the process
// runtime's pods are without root — while 10.96.0.0/12 would bind nothing. Ports below
// net.ipv4.ip_unprivileged_port_start (1024 by default) stay out of reach either way.

/** The default of a `wharf up` without root: loopback, 10.96's twin, clear of 127.0.x.x. */
export const LOOPBACK_SERVICE_CIDR = '127.96.0.0/16';

export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * The range `wharf up` uses when none is given, and why (for its output); undefined as
 * root, where the API server's default (Kubernetes' 10.96.0.0/12) serves.
 */
export function defaultServiceCIDR(root = isRoot()): { cidr: string; why: string } | undefined {
  if (root) return undefined;
  return {
    cidr: LOOPBACK_SERVICE_CIDR,
    why: `not running as root: cluster IPs come from ${LOOPBACK_SERVICE_CIDR} on loopback, the only addresses the user-space service proxy can serve without root (--service-cidr chooses another range)`,
  };
}

/** Whether cluster IPs of `cidr` can be bound by this process (root, or loopback). */
export function canBindServiceCIDR(cidr: string, root = isRoot()): boolean {
  return root || cidr.startsWith('127.');
}

/** The lowest port this process may bind: 0 as root, else the kernel's setting. */
export function lowestBindablePort(
  root = isRoot(),
  file = '/proc/sys/net/ipv4/ip_unprivileged_port_start',
): number {
  if (root) return 0;
  try {
    const port = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port >= 0 ? port : 1024;
  } catch {
    return 1024;
  }
}
