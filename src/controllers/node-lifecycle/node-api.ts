import { rfc3339, type KubeObject } from '../../api/index.ts';
import { toleratesTaint } from '../../api/scheduling/index.ts';
import { isConflict, LEASES, type ResourceRef, type RestClient } from '../../client/index.ts';

// The parts of Nodes, Pods and Leases the node controllers read, and the taint and
// toleration rules of k8s.io/api (Taint.MatchTaint, Toleration.ToleratesTaint) and of
// pkg/util/taints, shared by the node lifecycle, taint eviction and pod GC controllers.

export const NODES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  namespaced: false,
};
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export { LEASES };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  /** RFC 3339; set by the node lifecycle controller on the taints it adds. */
  timeAdded?: string | null;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  /** Absent or null: tolerate forever. */
  tolerationSeconds?: number | null;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string | null;
  lastTransitionTime?: string | null;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };

export function nodeTaints(node: KubeObject): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(Boolean);
}

export function nodeConditions(node: KubeObject): NodeCondition[] {
  return (node.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? [];
}

export function nodeCondition(node: KubeObject, type: string): NodeCondition | undefined {
  return nodeConditions(node).find((c) => c.type === type);
}

/** nodeutil.IsNodeReady: the Ready condition is True. */
export function isNodeReady(node: KubeObject): boolean {
  return nodeCondition(node, 'Ready')?.status === 'True';
}

export function podSpec(pod: KubeObject): { nodeName?: string; tolerations?: Toleration[] } {
  return (pod.spec ?? {}) as { nodeName?: string; tolerations?: Toleration[] };
}

export function podStatus(pod: KubeObject): {
  phase?: string;
  reason?: string;
  conditions?: PodCondition[];
} {
  return (pod.status ?? {}) as { phase?: string; reason?: string; conditions?: PodCondition[] };
}

/** Taint.MatchTaint: the same key and effect (value and timeAdded aside). */
export function matchTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: readonly Taint[], taint: Taint): boolean {
  return taints.some((t) => matchTaint(t, taint));
}

/**
 * v1helper.GetMatchingTolerations: whether every taint is tolerated, and for each taint the
 * first toleration that tolerates it.
 */
export function matchingTolerations(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const match = tolerations.find((t) => toleratesTaint(t, taint));
    if (!match) return { allTolerated: false, used: [] };
    used.push(match);
  }
  return { allTolerated: true, used };
}

/** Microseconds of a metav1.MicroTime (or Time) string, NaN when it does not parse. */
export function microTimeValue(value: string | null | undefined): number {
  if (!value) return NaN;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return NaN;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const micros = Number(fraction.padEnd(6, '0').slice(3, 6));
  return ms * 1000 + micros;
}

/** What changing a node's taints needs from the API. */
export type NodeTaintClient = Pick<RestClient, 'get' | 'patch'>;

const TAINT_UPDATE_ATTEMPTS = 5;

/**
 * controllerutil.SwapNodeControllerTaint: adds `add` (stamped with timeAdded = `now`) and
 * removes every taint matching one of `remove`, on a fresh read of the node. The write is
 * a patch pinned to the resourceVersion it was computed from (as PatchNodeTaints does,
 * because spec.taints has no merge key), retried on conflict. A taint already present with
 * the same key and effect is left as it is, so its timeAdded survives. Answers whether the
 * node changed; a node that is gone changes nothing.
 */
export async function swapNodeTaints(
  client: NodeTaintClient,
  nodeName: string,
  add: readonly Taint[],
  remove: readonly Taint[],
  now: number,
  fieldManager: string,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const node = await client.get(NODES, '', nodeName);
    const current = nodeTaints(node);
    let next = current.filter((t) => !remove.some((r) => matchTaint(t, r)));
    for (const taint of add) {
      if (taintExists(next, taint)) continue;
      next = [...next, { ...taint, timeAdded: rfc3339(now) }];
    }
    if (JSON.stringify(next) === JSON.stringify(current)) return false;
    try {
      await client.patch(
        NODES,
        '',
        nodeName,
        {
          metadata: { resourceVersion: node.metadata?.resourceVersion },
          spec: { taints: next.length > 0 ? next : null },
        },
        'merge',
        { fieldManager },
      );
      return true;
    } catch (err) {
      if (!isConflict(err) || attempt >= TAINT_UPDATE_ATTEMPTS) throw err;
    }
  }
}
