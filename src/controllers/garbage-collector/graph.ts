import type { KubeObject, OwnerReference } from '../../api/index.ts';
import type { ResourceRef } from '../../client/index.ts';

// The owner/dependent graph of every object, keyed by uid, as kube-controller-manager's
// garbage collector keeps it. Owners may be absent from the graph (deleted, or not seen
// yet); dependents point at them by uid and are found through `dependentsOf`.

export interface GraphNode {
  uid: string;
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  owners: OwnerReference[];
  /** Marked for deletion (deletionTimestamp set). */
  beingDeleted: boolean;
  /** Deleting with the foregroundDeletion finalizer: waits for blocking dependents. */
  deletingDependents: boolean;
  /** Deleting with the orphan finalizer: its dependents lose their owner reference. */
  orphaning: boolean;
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export function nodeOf(ref: ResourceRef, obj: KubeObject): GraphNode | undefined {
  const m = obj.metadata;
  if (!m?.uid || !m.name) return undefined;
  const finalizers = m.finalizers ?? [];
  const beingDeleted = !!m.deletionTimestamp;
  return {
    uid: m.uid,
    ref,
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    namespace: m.namespace ?? '',
    name: m.name,
    owners: m.ownerReferences ?? [],
    beingDeleted,
    deletingDependents: beingDeleted && finalizers.includes(FOREGROUND_FINALIZER),
    orphaning: beingDeleted && finalizers.includes(ORPHAN_FINALIZER),
  };
}

export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  /** owner uid → dependent uids; owners need not be present. */
  readonly #dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Adds or replaces a node; returns the owners it gained or lost. */
  upsert(node: GraphNode): { added: string[]; removed: string[] } {
    const old = this.#nodes.get(node.uid);
    const before = new Set((old?.owners ?? []).map((o) => o.uid));
    const after = new Set(node.owners.map((o) => o.uid));
    for (const uid of before) if (!after.has(uid)) this.#unlink(uid, node.uid);
    for (const uid of after) {
      let set = this.#dependents.get(uid);
      if (!set) this.#dependents.set(uid, (set = new Set()));
      set.add(node.uid);
    }
    this.#nodes.set(node.uid, node);
    return {
      added: [...after].filter((u) => !before.has(u)),
      removed: [...before].filter((u) => !after.has(u)),
    };
  }

  remove(uid: string): GraphNode | undefined {
    const node = this.#nodes.get(uid);
    if (!node) return undefined;
    for (const o of node.owners) this.#unlink(o.uid, uid);
    this.#nodes.delete(uid);
    return node;
  }

  #unlink(owner: string, dependent: string): void {
    const set = this.#dependents.get(owner);
    if (!set) return;
    set.delete(dependent);
    if (set.size === 0) this.#dependents.delete(owner);
  }

  /** Nodes that name `owner` among their owners (present in the graph). */
  dependentsOf(owner: string): GraphNode[] {
    return [...(this.#dependents.get(owner) ?? [])]
      .map((u) => this.#nodes.get(u))
      .filter((n): n is GraphNode => !!n);
  }

  /** Dependents that hold up a foreground deletion of `owner`. */
  blockingDependentsOf(owner: string): GraphNode[] {
    return this.dependentsOf(owner).filter((d) =>
      d.owners.some((o) => o.uid === owner && o.blockOwnerDeletion),
    );
  }
}
