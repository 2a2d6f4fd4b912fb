import type { KubeObject } from '../api/index.ts';
import {
  addResources,
  emptyResources,
  nodeAllocatable,
  podInfo,
  subtractResources,
  type NamespaceLabels,
  type NodeInfo,
  type PodInfo,
  type Snapshot,
} from './framework/index.ts';

// The scheduler's picture of the cluster: every node with the pods assigned to it,
// including pods it has *assumed* onto a node and is still binding, so that the next pod
// sees the room they take at once. Informer handlers feed it; each scheduling cycle reads
// it through snapshot(). Nothing here is shared with the informers' objects beyond
// reading them.

interface PodEntry {
  info: PodInfo;
  node: string;
  assumed: boolean;
}

function hostPortsOf(pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as {
    containers?: { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] }[];
  };
  const out: string[] = [];
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

function hasAffinityTerms(pod: KubeObject): boolean {
  const affinity = (
    pod.spec as { affinity?: { podAffinity?: unknown; podAntiAffinity?: unknown } } | undefined
  )?.affinity;
  return !!(affinity?.podAffinity || affinity?.podAntiAffinity);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

/** Namespace name → labels, with a generation that moves on every change. */
class NamespaceLabelsIndex implements NamespaceLabels {
  readonly #labels = new Map<string, Record<string, string>>();
  #generation = 0;

  get generation(): number {
    return this.#generation;
  }

  labelsOf(namespace: string): Record<string, string> | undefined {
    return this.#labels.get(namespace);
  }

  /** Whether anything changed. */
  set(namespace: string, labels: Record<string, string>): boolean {
    const before = this.#labels.get(namespace);
    if (before && sameLabels(before, labels)) return false;
    this.#labels.set(namespace, labels);
    this.#generation++;
    return true;
  }

  delete(namespace: string): void {
    if (this.#labels.delete(namespace)) this.#generation++;
  }
}

export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodEntry>();
  /** Nodes whose Node object exists (others are placeholders for pods seen first). */
  readonly #real = new Set<string>();
  readonly #affinityPods = new Set<PodInfo>();
  #nodeList: NodeInfo[] | undefined;
  #affinityList: PodInfo[] | undefined;
  readonly #namespaces = new NamespaceLabelsIndex();

  get nodeCount(): number {
    return this.#nodes.size;
  }

  #nodeInfo(name: string): NodeInfo {
    let info = this.#nodes.get(name);
    if (!info) {
      // Pods may be seen before their node: keep them on a placeholder without a Node.
      info = {
        name,
        node: { metadata: { name } },
        pods: [],
        requested: emptyResources(),
        nonZeroRequested: { milliCPU: 0, memory: 0 },
        allocatable: emptyResources(),
        usedHostPorts: new Set(),
      };
      this.#nodes.set(name, info);
      this.#nodeList = undefined;
    }
    return info;
  }

  upsertNode(node: KubeObject): void {
    const name = node.metadata?.name;
    if (!name) return;
    const info = this.#nodeInfo(name);
    info.node = node;
    info.allocatable = nodeAllocatable(node);
    if (!this.#real.has(name)) {
      this.#real.add(name);
      this.#nodeList = undefined;
    }
  }

  removeNode(node: KubeObject): void {
    const name = node.metadata?.name;
    if (!name) return;
    const info = this.#nodes.get(name);
    if (!info) return;
    this.#real.delete(name);
    this.#nodeList = undefined;
    if (info.pods.length > 0) {
      // Pods still point at it; keep their accounting until they go.
      info.node = { metadata: { name } };
      info.allocatable = emptyResources();
      return;
    }
    this.#nodes.delete(name);
    this.#nodeList = undefined;
  }

  #add(uid: string, pod: KubeObject, node: string, assumed: boolean): void {
    const info = podInfo(pod);
    const ni = this.#nodeInfo(node);
    ni.pods.push(info);
    ni.requested = addResources(ni.requested, info.requests);
    ni.nonZeroRequested = {
      milliCPU: ni.nonZeroRequested.milliCPU + info.nonZero.milliCPU,
      memory: ni.nonZeroRequested.memory + info.nonZero.memory,
    };
    for (const port of hostPortsOf(pod)) ni.usedHostPorts.add(port);
    this.#pods.set(uid, { info, node, assumed });
    if (hasAffinityTerms(pod)) {
      this.#affinityPods.add(info);
      this.#affinityList = undefined;
    }
  }

  #remove(uid: string): void {
    const entry = this.#pods.get(uid);
    if (!entry) return;
    this.#pods.delete(uid);
    if (this.#affinityPods.delete(entry.info)) this.#affinityList = undefined;
    const ni = this.#nodes.get(entry.node);
    if (!ni) return;
    ni.pods = ni.pods.filter((p) => p !== entry.info);
    ni.requested = subtractResources(ni.requested, entry.info.requests);
    ni.nonZeroRequested = {
      milliCPU: ni.nonZeroRequested.milliCPU - entry.info.nonZero.milliCPU,
      memory: ni.nonZeroRequested.memory - entry.info.nonZero.memory,
    };
    // Another pod may use the same host port, so the set is rebuilt, but only when the
    // pod leaving had any (most have none).
    if (hostPortsOf(entry.info.pod).length > 0) {
      ni.usedHostPorts = new Set(ni.pods.flatMap((p) => hostPortsOf(p.pod)));
    }
    if (ni.pods.length === 0 && !this.#real.has(entry.node)) {
      this.#nodes.delete(entry.node);
      this.#nodeList = undefined;
    }
  }

  /** An assigned pod as the API reports it; confirms an assumed one. */
  upsertAssignedPod(pod: KubeObject): void {
    const uid = pod.metadata?.uid;
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!uid || !node) return;
    this.#remove(uid);
    this.#add(uid, pod, node, false);
  }

  removePod(pod: KubeObject): void {
    const uid = pod.metadata?.uid;
    if (uid) this.#remove(uid);
  }

  /** Counts the pod on `node` right away, before its binding is written. */
  assume(pod: KubeObject, node: string): void {
    const uid = pod.metadata!.uid!;
    const bound = { ...pod, spec: { ...(pod.spec as object), nodeName: node } };
    this.#remove(uid);
    this.#add(uid, bound, node, true);
  }

  /** Takes back an assumption whose binding failed. */
  forget(pod: KubeObject): void {
    const uid = pod.metadata?.uid;
    if (uid && this.#pods.get(uid)?.assumed) this.#remove(uid);
  }

  isAssumedOrBound(uid: string): boolean {
    return this.#pods.has(uid);
  }

  /** A Namespace as the API reports it; whether its labels changed. */
  upsertNamespace(namespace: KubeObject): boolean {
    const name = namespace.metadata?.name;
    if (!name) return false;
    return this.#namespaces.set(name, namespace.metadata?.labels ?? {});
  }

  removeNamespace(namespace: KubeObject): void {
    const name = namespace.metadata?.name;
    if (name) this.#namespaces.delete(name);
  }

  /** The current view. Valid for one synchronous scheduling cycle: it is not copied. */
  snapshot(): Snapshot {
    this.#nodeList ??= [...this.#real].map((name) => this.#nodes.get(name)!);
    this.#affinityList ??= [...this.#affinityPods];
    const byName = this.#nodes;
    const real = this.#real;
    return {
      nodes: this.#nodeList,
      get: (name) => (real.has(name) ? byName.get(name) : undefined),
      podsWithAffinity: this.#affinityList,
      namespaces: this.#namespaces,
    };
  }
}
