import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import { parseApiVersion } from '../../api/index.ts';
import { runController } from '../workers.ts';
import {
  InformerFactory,
  isConflict,
  isNotFound,
  WorkQueue,
  type Logger,
  type ResourceRef,
  type RestClient,
} from '../../client/index.ts';
import {
  DependencyGraph,
  FOREGROUND_FINALIZER,
  nodeOf,
  ORPHAN_FINALIZER,
  type GraphNode,
} from './graph.ts';

// The garbage collector, after kube-controller-manager's: every deletable resource is
// watched into one owner/dependent graph, and three kinds of work follow from it.
//   attempt-delete(uid): a dependent whose owners are all gone is deleted (Foreground when
//     an owner is itself waiting for its dependents); dangling references are dropped
//     while some owner remains.
//   orphan(uid): an owner deleted with the orphan finalizer releases its dependents
//     (their ownerReferences lose it), then loses the finalizer.
//   foreground(uid): an owner deleted with foregroundDeletion has its dependents deleted
//     and loses the finalizer once no dependent with blockOwnerDeletion is left.
// Event handlers only update the graph and enqueue uids; reconciles read the graph and
// write through the API.

type Work = `${'attempt' | 'orphan' | 'foreground'}:${string}`;

const GC_MANAGER = 'garbage-collector';

/** Resources the collector watches: one served version per stored resource, deletable. */
export function collectableResources(registry: ResourceRegistry): ResourceRef[] {
  const seen = new Set<string>();
  const refs: ResourceRef[] = [];
  for (const t of registry.all()) {
    if (t.conversion || seen.has(t.storagePrefix)) continue;
    if (!['list', 'watch', 'delete'].every((v) => t.verbs.includes(v))) continue;
    seen.add(t.storagePrefix);
    refs.push({
      group: t.group,
      version: t.version,
      resource: t.resource,
      namespaced: t.namespaced,
    });
  }
  return refs;
}

export class GarbageCollector {
  readonly graph = new DependencyGraph();
  readonly #client: RestClient;
  readonly #registry: ResourceRegistry;
  readonly #factory: InformerFactory;
  readonly #queue = new WorkQueue<Work>();
  readonly #log: Logger;
  readonly #refs: ResourceRef[];

  constructor(
    client: RestClient,
    registry: ResourceRegistry,
    factory: InformerFactory,
    log: Logger,
  ) {
    this.#client = client;
    this.#registry = registry;
    this.#factory = factory;
    this.#log = log;
    this.#refs = collectableResources(registry);
    for (const ref of this.#refs) {
      this.#factory.informerFor(ref).addEventHandler({
        onAdd: (obj) => this.#observe(ref, obj),
        onUpdate: (_old, obj) => this.#observe(ref, obj),
        onDelete: (obj) => this.#forget(obj),
      });
    }
  }

  async run(signal: AbortSignal, workers = 2): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (item) => this.#process(item),
      log: this.#log,
      name: 'garbage-collector',
    });
  }

  #observe(ref: ResourceRef, obj: KubeObject): void {
    const node = nodeOf(ref, obj);
    if (!node) return;
    const { removed } = this.graph.upsert(node);
    if (node.owners.length > 0) this.#queue.add(`attempt:${node.uid}`);
    // A dependent that let go of an owner may unblock that owner's foreground deletion.
    for (const owner of removed) this.#queue.add(`foreground:${owner}`);
    if (node.orphaning) this.#queue.add(`orphan:${node.uid}`);
    if (node.deletingDependents) this.#queue.add(`foreground:${node.uid}`);
  }

  #forget(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    const node = this.graph.remove(uid);
    for (const d of this.graph.dependentsOf(uid)) this.#queue.add(`attempt:${d.uid}`);
    for (const o of node?.owners ?? []) this.#queue.add(`foreground:${o.uid}`);
  }

  async #process(item: Work): Promise<void> {
    const colon = item.indexOf(':');
    const kind = item.slice(0, colon);
    const uid = item.slice(colon + 1);
    if (kind === 'attempt') return this.#attemptToDelete(uid);
    if (kind === 'orphan') return this.#orphan(uid);
    return this.#finishForeground(uid);
  }

  /** Whether the owner a reference names exists (with that uid), asking the API when the graph does not know it. */
  async #ownerState(
    ns: string,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ): Promise<'absent' | 'present' | 'waiting'> {
    const known = this.graph.get(ref.uid);
    if (known) return known.deletingDependents ? 'waiting' : 'present';
    const { group, version } = parseApiVersion(ref.apiVersion);
    const type =
      this.#registry.all().find((t) => t.group === group && t.kind === ref.kind && !t.conversion) ??
      this.#registry.byKind(group, version, ref.kind);
    if (!type) return 'absent';
    try {
      const owner = await this.#client.get<KubeObject>(
        {
          group: type.group,
          version: type.version,
          resource: type.resource,
          namespaced: type.namespaced,
        },
        type.namespaced ? ns : '',
        ref.name,
      );
      if (owner.metadata?.uid !== ref.uid) return 'absent';
      return owner.metadata?.deletionTimestamp &&
        owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)
        ? 'waiting'
        : 'present';
    } catch (err) {
      if (isNotFound(err)) return 'absent';
      throw err;
    }
  }

  async #attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node || node.owners.length === 0) return;
    const states = await Promise.all(
      node.owners.map(async (o) => [o, await this.#ownerState(node.namespace, o)] as const),
    );
    const absent = states.filter(([, s]) => s === 'absent').map(([o]) => o);
    const waiting = states.filter(([, s]) => s === 'waiting');
    const present = states.filter(([, s]) => s === 'present');
    if (present.length > 0) {
      if (absent.length === 0) return;
      // Some owner remains: only drop the references to the owners that are gone.
      const keep = node.owners.filter((o) => !absent.some((a) => a.uid === o.uid));
      await this.#setOwners(node, keep);
      return;
    }
    if (node.beingDeleted && !node.deletingDependents) return;
    // Every owner is gone or is waiting for its dependents: this object goes too, and
    // holds its own dependents back in the same way when an owner waits.
    const propagationPolicy = waiting.length > 0 ? 'Foreground' : 'Background';
    await this.#delete(node, propagationPolicy);
  }

  async #orphan(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner?.orphaning) return;
    for (const d of this.graph.dependentsOf(uid)) {
      await this.#setOwners(
        d,
        d.owners.filter((o) => o.uid !== uid),
      );
    }
    await this.#removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  async #finishForeground(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner?.deletingDependents) return;
    const dependents = this.graph.dependentsOf(uid);
    for (const d of dependents) {
      if (!d.beingDeleted) this.#queue.add(`attempt:${d.uid}`);
    }
    if (this.graph.blockingDependentsOf(uid).length > 0) return;
    await this.#removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  async #setOwners(node: GraphNode, owners: GraphNode['owners']): Promise<void> {
    const patch = [
      { op: 'test', path: '/metadata/uid', value: node.uid },
      owners.length > 0
        ? { op: 'replace', path: '/metadata/ownerReferences', value: owners }
        : { op: 'remove', path: '/metadata/ownerReferences' },
    ];
    try {
      await this.#client.patch(node.ref, node.namespace, node.name, patch, 'json', {
        fieldManager: GC_MANAGER,
      });
    } catch (err) {
      if (!isNotFound(err) && !isInvalidTest(err)) throw err;
    }
  }

  async #removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      let current: KubeObject;
      try {
        current = await this.#client.get<KubeObject>(node.ref, node.namespace, node.name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (current.metadata?.uid !== node.uid) return;
      const finalizers = current.metadata?.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const patch = {
        metadata: {
          finalizers: finalizers.filter((f) => f !== finalizer),
          resourceVersion: current.metadata?.resourceVersion,
        },
      };
      try {
        await this.#client.patch(node.ref, node.namespace, node.name, patch, 'merge', {
          fieldManager: GC_MANAGER,
        });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(
      `could not remove finalizer ${finalizer} from ${node.kind} ${node.namespace}/${node.name}: too many conflicts`,
    );
  }

  async #delete(node: GraphNode, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    try {
      await this.#client.delete(node.ref, node.namespace, node.name, {
        propagationPolicy,
        preconditions: { uid: node.uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

function isInvalidTest(err: unknown): boolean {
  return (err as { code?: number }).code === 422;
}
