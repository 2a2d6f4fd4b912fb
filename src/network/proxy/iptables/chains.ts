import { createHash } from 'node:crypto';

// wharf's chains, marks and the jumps into them from the built-in chains: kube-proxy's
// layout (pkg/proxy/iptables/proxier.go) under a WHARF- prefix, so the two never collide.

export type TableName = 'nat' | 'filter';

/** nat: every service destination, matched before anything else in PREROUTING and OUTPUT. */
export const SERVICES = 'WHARF-SERVICES';
/** nat: node ports, entered from the last rule of WHARF-SERVICES for local destinations. */
export const NODEPORTS = 'WHARF-NODEPORTS';
export const MARK_MASQ = 'WHARF-MARK-MASQ';
export const POSTROUTING = 'WHARF-POSTROUTING';
/** filter: lets service traffic past FORWARD policies such as Docker's DROP. */
export const FORWARD = 'WHARF-FORWARD';
/** filter: drops packets to 127/8 from outside, which route_localnet would let in (CVE-2020-8558). */
export const FIREWALL = 'WHARF-FIREWALL';

/** Connections to masquerade; set in nat, read in filter FORWARD and nat POSTROUTING. */
export const MASQ_MARK = '0x4000';
/**
 * Connections from outside the node to an `externalTrafficPolicy: Local` service, which
 * keep their source address but must still pass FORWARD; cleared in POSTROUTING.
 */
export const FORWARD_MARK = '0x8000';

/** The chains every apply declares (and so flushes and refills), per table. */
export const FIXED_CHAINS: Record<TableName, readonly string[]> = {
  nat: [SERVICES, NODEPORTS, MARK_MASQ, POSTROUTING],
  filter: [SERVICES, FORWARD, FIREWALL],
};

/** Per-service chains: created and deleted as services come and go. */
export const DYNAMIC_CHAIN = /^WHARF-(SVC|SVL|EXT|SEP)-/;

export interface JumpRule {
  table: TableName;
  /** A built-in chain. */
  chain: string;
  target: string;
  /** The match part of the rule, as iptables-save prints it. */
  spec: string;
}

const portals = '-m comment --comment "wharf service portals"';
const newPortals = `-m conntrack --ctstate NEW ${portals}`;

/** Inserted at the top of their built-in chains, so other software's rules come after. */
export const JUMPS: readonly JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', target: SERVICES, spec: portals },
  { table: 'nat', chain: 'OUTPUT', target: SERVICES, spec: portals },
  {
    table: 'nat',
    chain: 'POSTROUTING',
    target: POSTROUTING,
    spec: '-m comment --comment "wharf postrouting rules"',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    target: FORWARD,
    spec: '-m comment --comment "wharf forwarding rules"',
  },
  { table: 'filter', chain: 'INPUT', target: SERVICES, spec: newPortals },
  { table: 'filter', chain: 'FORWARD', target: SERVICES, spec: newPortals },
  { table: 'filter', chain: 'OUTPUT', target: SERVICES, spec: newPortals },
  {
    table: 'filter',
    chain: 'INPUT',
    target: FIREWALL,
    spec: '-m comment --comment "wharf firewall"',
  },
];

/**
 * `WHARF-<kind>-<16 hex digits>`: a stable name from what the chain is for (the service
 * port, and for SEP chains the endpoint), short enough for the 28-character limit.
 */
export function chainName(kind: 'SVC' | 'SVL' | 'EXT' | 'SEP', ...parts: string[]): string {
  const hash = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `WHARF-${kind}-${hash.slice(0, 16).toUpperCase()}`;
}
