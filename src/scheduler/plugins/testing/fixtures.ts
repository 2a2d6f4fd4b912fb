import type { KubeObject } from '../../../api/index.ts';
import {
  emptyResources,
  nodeAllocatable,
  nodeWithPods,
  podInfo,
  SUCCESS,
  type CycleState,
  type FilterPlugin,
  type NodeInfo,
  type PodInfo,
  type ScorePlugin,
  type Snapshot,
  type Status,
} from '../../framework/index.ts';
import type {
  Affinity,
  Container,
  Taint,
  Toleration,
  TopologySpreadConstraint,
} from '../helper/index.ts';

// Test fixtures: pods, nodes and snapshots built the way the scheduler cache builds them,
// and runners that drive a plugin through its extension points as the core does.

export interface PodOptions {
  namespace?: string;
  labels?: Record<string, string>;
  /** One container requesting these (cpu, memory, …). */
  requests?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** Controller owner: a ReplicaSet with this UID. */
  owner?: string;
  terminating?: boolean;
}

export function makePod(name: string, o: PodOptions = {}): KubeObject {
  const containers = o.containers ?? (o.requests ? [{ resources: { requests: o.requests } }] : []);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      labels: o.labels,
      ownerReferences: o.owner
        ? [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: o.owner,
              uid: o.owner,
              controller: true,
            },
          ]
        : undefined,
      deletionTimestamp: o.terminating ? '2024-01-01T00:00:00Z' : undefined,
    },
    spec: {
      nodeName: o.nodeName,
      nodeSelector: o.nodeSelector,
      affinity: o.affinity,
      tolerations: o.tolerations,
      topologySpreadConstraints: o.topologySpreadConstraints,
      containers,
      initContainers: o.initContainers,
      overhead: o.overhead,
    },
  };
}

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  allocatable?: Record<string, string>;
  pods?: KubeObject[];
}

export function makeNode(name: string, o: NodeOptions = {}): NodeInfo {
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: o.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' } },
  };
  const pods: PodInfo[] = [];
  for (const raw of o.pods ?? []) {
    pods.push(podInfo({ ...raw, spec: { ...(raw.spec as object), nodeName: name } }));
  }
  const empty: NodeInfo = {
    name,
    node,
    pods: [],
    requested: emptyResources(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    allocatable: nodeAllocatable(node),
    usedHostPorts: new Set(),
  };
  return nodeWithPods(empty, pods);
}

/** `namespaces`: each Namespace's labels, for terms with a namespaceSelector. */
export function makeSnapshot(
  nodes: NodeInfo[],
  namespaces: Record<string, Record<string, string>> = {},
): Snapshot {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const podsWithAffinity = nodes.flatMap((n) =>
    n.pods.filter((p) => {
      const a = (p.pod.spec as { affinity?: Affinity }).affinity;
      return !!(a?.podAffinity || a?.podAntiAffinity);
    }),
  );
  return {
    nodes,
    get: (name) => byName.get(name),
    podsWithAffinity,
    namespaces: {
      generation: 0,
      labelsOf: (ns) => (Object.hasOwn(namespaces, ns) ? namespaces[ns] : undefined),
    },
  };
}

/** preFilter then filter on every node, stopping at a pre-filter rejection. */
export function runFilter(
  plugin: FilterPlugin,
  pod: KubeObject,
  snapshot: Snapshot,
): { preFilter: Status; statuses: Map<string, Status> } {
  const state: CycleState = new Map();
  const statuses = new Map<string, Status>();
  const preFilter = plugin.preFilter?.(state, pod, snapshot) ?? { code: 'Success', reasons: [] };
  if (preFilter.code === 'Skip') {
    // The core then passes every node without Filter; Filter must agree on its own.
    for (const n of snapshot.nodes) {
      const alone = plugin.filter(new Map(), pod, n, snapshot);
      if (alone.code !== 'Success') {
        throw new Error(`${plugin.name} said Skip, but its Filter rejects ${n.name}`);
      }
      statuses.set(n.name, SUCCESS);
    }
    return { preFilter, statuses };
  }
  if (preFilter.code !== 'Success') return { preFilter, statuses };
  for (const n of snapshot.nodes) statuses.set(n.name, plugin.filter(state, pod, n, snapshot));
  return { preFilter, statuses };
}

/** Codes and reasons by node, for comparing with a table. */
export function summarize(statuses: Map<string, Status>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of statuses) {
    out[name] = s.code === 'Success' ? 'Success' : `${s.code}: ${s.reasons.join('; ')}`;
  }
  return out;
}

/** preScore, score and normalizeScore over `nodes` (default: all), as the core does. */
export function runScore(
  plugin: ScorePlugin,
  pod: KubeObject,
  snapshot: Snapshot,
  nodes: NodeInfo[] = snapshot.nodes,
): Record<string, number> {
  const state: CycleState = new Map();
  const skipped = plugin.preScore?.(state, pod, nodes, snapshot).code === 'Skip';
  const scored = skipped ? new Map() : state;
  const scores = nodes.map((n) => ({
    name: n.name,
    score: plugin.score(scored, pod, n, snapshot),
  }));
  plugin.normalizeScore?.(scored, pod, scores);
  // A skipped Score must have ranked nothing: the same score for every node.
  if (skipped && new Set(scores.map((s) => s.score)).size > 1) {
    throw new Error(`${plugin.name} said Skip, but its scores differ by node`);
  }
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
