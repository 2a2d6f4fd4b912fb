import type { KubeObject } from '../../../api/index.ts';
import {
  SKIP,
  SUCCESS,
  unschedulable,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type Status,
} from '../../framework/index.ts';
import { nodeLabels, podSpec } from '../helper/index.ts';

// NodePorts: a host port (protocol, hostIP, port) can be bound by one pod per node; a
// wildcard hostIP (0.0.0.0) conflicts with the same protocol and port on any IP.
//
// wharf addition: on nodes labelled `wharf.dev/pod-network=host` (the process runtime
// without root, where pods share the host's network) every port a container declares is
// bound on the host, so two pods declaring the same protocol and containerPort (or
// hostPort) conflict there too. Same reason text. Only app containers count, as in 1.32.

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";
export const POD_NETWORK_LABEL = 'wharf.dev/pod-network';

const PRE_FILTER_KEY = `PreFilter${NAME}`;

interface WantedHostPort {
  /** `${protocol}/${hostIP}/${port}`, the form of NodeInfo.usedHostPorts. */
  exact: string;
  /** The same port on the wildcard address. */
  wildcard: string;
  anyIP: boolean;
  prefix: string;
  suffix: string;
}

interface PreFilterState {
  hostPorts: WantedHostPort[];
  /** `${protocol}/${port}` of every declared port, for host-network nodes. */
  claims: Set<string>;
}

function protocolOf(protocol: string | undefined): string {
  return protocol || 'TCP';
}

/** Every `${protocol}/${port}` a pod binds when it shares the host's network. */
function hostNetworkClaims(pod: KubeObject): Set<string> {
  const claims = new Set<string>();
  for (const c of podSpec(pod).containers ?? []) {
    for (const p of c.ports ?? []) {
      const protocol = protocolOf(p.protocol);
      if (p.containerPort > 0) claims.add(`${protocol}/${p.containerPort}`);
      if (p.hostPort && p.hostPort > 0) claims.add(`${protocol}/${p.hostPort}`);
    }
  }
  return claims;
}

function preFilterState(pod: KubeObject): PreFilterState {
  const hostPorts: WantedHostPort[] = [];
  for (const c of podSpec(pod).containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      const protocol = protocolOf(p.protocol);
      const ip = p.hostIP || '0.0.0.0';
      hostPorts.push({
        exact: `${protocol}/${ip}/${p.hostPort}`,
        wildcard: `${protocol}/0.0.0.0/${p.hostPort}`,
        anyIP: ip === '0.0.0.0',
        prefix: `${protocol}/`,
        suffix: `/${p.hostPort}`,
      });
    }
  }
  return { hostPorts, claims: hostNetworkClaims(pod) };
}

// Pod objects are not mutated once in the scheduler's cache: keep their claims by identity.
const claimsCache = new WeakMap<KubeObject, Set<string>>();

function claimsOf(pod: KubeObject): Set<string> {
  let c = claimsCache.get(pod);
  if (!c) {
    c = hostNetworkClaims(pod);
    claimsCache.set(pod, c);
  }
  return c;
}

function hostPortConflict(wanted: WantedHostPort[], used: Set<string>): boolean {
  if (used.size === 0) return false;
  for (const w of wanted) {
    if (w.anyIP) {
      for (const u of used) if (u.startsWith(w.prefix) && u.endsWith(w.suffix)) return true;
    } else if (used.has(w.exact) || used.has(w.wildcard)) {
      return true;
    }
  }
  return false;
}

function hostNetworkConflict(claims: Set<string>, node: NodeInfo): boolean {
  for (const p of node.pods) {
    for (const c of claimsOf(p.pod)) if (claims.has(c)) return true;
  }
  return false;
}

export class NodePorts implements FilterPlugin {
  readonly name = NAME;

  preFilter(state: CycleState, pod: KubeObject): Status {
    const s = preFilterState(pod);
    state.set(PRE_FILTER_KEY, s);
    return s.claims.size === 0 ? SKIP : SUCCESS;
  }

  filter(state: CycleState, pod: KubeObject, node: NodeInfo): Status {
    let s = state.get(PRE_FILTER_KEY) as PreFilterState | undefined;
    if (!s) {
      s = preFilterState(pod);
      state.set(PRE_FILTER_KEY, s);
    }
    if (s.claims.size === 0) return SUCCESS;
    if (hostPortConflict(s.hostPorts, node.usedHostPorts)) return unschedulable(ERR_REASON);
    if (nodeLabels(node)[POD_NETWORK_LABEL] === 'host' && hostNetworkConflict(s.claims, node)) {
      return unschedulable(ERR_REASON);
    }
    return SUCCESS;
  }
}
