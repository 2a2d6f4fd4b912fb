import type { KubeObject } from '../../../api/index.ts';
import type { LabelSelector } from '../../../api/selectors/index.ts';
import type { NodeInfo, PodInfo, Resources } from '../../framework/index.ts';
import {
  compileSelector,
  countMatching,
  findUntoleratedTaint,
  hasLabel,
  isTerminating,
  nodeSpec,
  podLabels,
  podNamespace,
  podSpec,
  RequiredNodeAffinity,
  selects,
  type CompiledSelector,
  type PodMatcher,
  type Toleration,
} from '../helper/index.ts';

// Topology spread constraints as kube-scheduler 1.32 reads them (common.go): minDomains
// defaults to 1, nodeAffinityPolicy to Honor, nodeTaintsPolicy to Ignore, and
// matchLabelKeys are merged into the selector with the pod's own values.
//
// Pods without constraints of their own get the system defaults (zone maxSkew 5, hostname
// maxSkew 3, ScheduleAnyway) over "the pods of the same owner". Kubernetes builds that
// selector from the Services, ReplicaSets, ReplicationControllers and StatefulSets
// selecting the pod; the snapshot has none of those objects, so here a pod spreads
// against the pods sharing its controller owner (a ReplicaSet, ReplicationController or
// StatefulSet), by owner UID. Pods selected only by a Service are not spread.

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export const SYSTEM_DEFAULT_CONSTRAINTS = Object.freeze([
  { topologyKey: LABEL_ZONE, maxSkew: 5 },
  { topologyKey: LABEL_HOSTNAME, maxSkew: 3 },
]);

const NO_MATCHER: PodMatcher = { key: 'none', matches: () => false };

const SPREAD_OWNER_KINDS = new Set(['ReplicaSet', 'ReplicationController', 'StatefulSet']);

export type Action = 'DoNotSchedule' | 'ScheduleAnyway';

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  /** Which pods count; unused when `ownerUID` is set. */
  selector: CompiledSelector;
  /** The same question for countMatching (live pods of the namespace the selector picks). */
  matcher: PodMatcher;
  /** System default constraints: the pods of this controller owner count. */
  ownerUID?: string;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorTaints: boolean;
}

function controllerOwnerUID(pod: KubeObject): string | undefined {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  return ref && SPREAD_OWNER_KINDS.has(ref.kind) ? ref.uid : undefined;
}

/** The pod's constraints for `action`. Throws SelectorParseError on a bad selector. */
export function podConstraints(pod: KubeObject, action: Action): Constraint[] {
  const own = podSpec(pod).topologySpreadConstraints ?? [];
  if (own.length === 0) {
    const ownerUID = action === 'ScheduleAnyway' ? controllerOwnerUID(pod) : undefined;
    if (!ownerUID) return [];
    return SYSTEM_DEFAULT_CONSTRAINTS.map((d) => ({
      ...d,
      selector: [],
      matcher: NO_MATCHER,
      ownerUID,
      minDomains: 1,
      honorNodeAffinity: true,
      honorTaints: false,
    }));
  }
  const labels = podLabels(pod);
  const namespace = podNamespace(pod);
  const out: Constraint[] = [];
  for (const c of own) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = compileSelector(c.labelSelector);
    const extra: LabelSelector = [];
    for (const key of c.matchLabelKeys ?? []) {
      if (hasLabel(labels, key)) extra.push({ key, operator: '=', values: [labels[key]!] });
    }
    // A missing selector selects nothing, unless matchLabelKeys give it labels to match.
    if (extra.length > 0) selector = [...extra, ...(selector ?? [])];
    const counted = selector; // a const for the closure below
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      matcher: {
        key: `pts:${JSON.stringify([namespace, counted])}`,
        matches: (p) =>
          !isTerminating(p) && podNamespace(p) === namespace && selects(counted, podLabels(p)),
      },
      minDomains: c.minDomains ?? 1,
      honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    });
  }
  return out;
}

/** Whether a pod counts for the constraint (in the incoming pod's namespace, not leaving). */
export function podCounts(c: Constraint, pod: KubeObject, namespace: string): boolean {
  if (isTerminating(pod) || podNamespace(pod) !== namespace) return false;
  if (c.ownerUID) return pod.metadata?.ownerReferences?.some((r) => r.uid === c.ownerUID) ?? false;
  return selects(c.selector, podLabels(pod));
}

/** Whether the incoming pod itself matches the constraint's selector. */
export function selfMatches(c: Constraint, pod: KubeObject): boolean {
  return c.ownerUID !== undefined || selects(c.selector, podLabels(pod));
}

export function countPods(c: Constraint, pods: readonly PodInfo[], namespace: string): number {
  let n = 0;
  for (const p of pods) if (podCounts(c, p.pod, namespace)) n++;
  return n;
}

interface OwnerEntry {
  pods: PodInfo[];
  count: number;
  requested: Resources;
  byOwner: Map<string, number>;
}

// Per node: how many live pods each owner UID has there. The scheduler cache updates
// NodeInfo in place, so an entry holds only while `pods` and `requested` are unchanged.
const ownerCache = new WeakMap<NodeInfo, OwnerEntry>();

function ownerCounts(node: NodeInfo): Map<string, number> {
  const e = ownerCache.get(node);
  if (e && e.pods === node.pods && e.count === node.pods.length && e.requested === node.requested)
    return e.byOwner;
  const byOwner = new Map<string, number>();
  for (const p of node.pods) {
    if (isTerminating(p.pod)) continue;
    for (const r of p.pod.metadata?.ownerReferences ?? []) {
      byOwner.set(r.uid, (byOwner.get(r.uid) ?? 0) + 1);
    }
  }
  ownerCache.set(node, {
    pods: node.pods,
    count: node.pods.length,
    requested: node.requested,
    byOwner,
  });
  return byOwner;
}

/** countPodsMatchSelector over the node's pods. */
export function countOnNode(c: Constraint, node: NodeInfo): number {
  if (c.ownerUID) return ownerCounts(node).get(c.ownerUID) ?? 0;
  return countMatching(node, c.matcher);
}

export function hasAllTopologyKeys(
  labels: Record<string, string>,
  constraints: readonly Constraint[],
): boolean {
  for (const c of constraints) if (!hasLabel(labels, c.topologyKey)) return false;
  return true;
}

/** What nodeAffinityPolicy / nodeTaintsPolicy Honor need to know about the pod. */
export interface InclusionContext {
  required: RequiredNodeAffinity | undefined;
  tolerations: Toleration[] | undefined;
}

export function inclusionContext(pod: KubeObject): InclusionContext {
  const required = new RequiredNodeAffinity(pod);
  return {
    required: required.isEmpty ? undefined : required,
    tolerations: podSpec(pod).tolerations,
  };
}

/** matchNodeInclusionPolicies: whether the node's domain counts for the constraint. */
export function nodeIncluded(c: Constraint, node: NodeInfo, ctx: InclusionContext): boolean {
  if (c.honorNodeAffinity && ctx.required && !ctx.required.matches(node)) return false;
  if (c.honorTaints && findUntoleratedTaint(nodeSpec(node).taints, ctx.tolerations)) return false;
  return true;
}
