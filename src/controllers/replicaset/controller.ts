import os from 'node:os';
import type { KubeObject, OwnerReference, ResourceRegistry } from '../../api/index.ts';
import { matchesLabels } from '../../api/selectors/index.ts';
import {
  EventRecorder,
  objectKey,
  realClock,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { claimObjects } from '../controller-ref/index.ts';
import {
  errorMessage,
  type EventSink,
  type ReplicaSetClient,
  type SyncContext,
} from './context.ts';
import { Expectations } from '../expectations/index.ts';
import { KINDS, podSelector, specOf, type KindInfo, type ReplicaSetKind } from './kinds.ts';
import { BURST_REPLICAS, manageReplicas } from './manage.ts';
import {
  controllerRefOf,
  isPodActive,
  isPodReady,
  newControllerRef,
  podKey,
  PODS,
} from './pods.ts';
import { calculateStatus, updateStatus } from './status.ts';
import { ensureIndex, BY_CONTROLLER_UID, BY_NAMESPACE } from './indexes.ts';

// The ReplicaSet controller of kube-controller-manager (pkg/controller/replicaset), which
// also runs ReplicationControllers: one instance per kind. Work items are owner keys
// (`namespace/name`). Event handlers only enqueue keys and settle expectations;
// reconcile(key) claims the owner's pods, creates or deletes pods when no earlier
// creations or deletions are still in flight, and writes the status when it changed.

/** What reconcile reads: the informer caches (tests may hand in their own). */
export interface ReplicaSetCaches {
  pods: StoreReader;
  /** ReplicaSets, or ReplicationControllers. */
  owners: StoreReader;
}

export interface ReplicaSetControllerOptions {
  /** Default ReplicaSet. */
  kind?: ReplicaSetKind;
  clock?: Clock;
  /** Default: an EventRecorder writing core/v1 Events through the client. */
  recorder?: EventSink;
  queue?: WorkQueue<string>;
  burstReplicas?: number;
}

export class ReplicaSetController {
  readonly kind: ReplicaSetKind;
  readonly #info: KindInfo;
  readonly #factory?: InformerFactory;
  readonly #caches: ReplicaSetCaches;
  readonly #clock: Clock;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #expectations: Expectations;
  readonly #ctx: SyncContext;

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: ReplicaSetClient,
    registry: ResourceRegistry | undefined,
    factory: InformerFactory | ReplicaSetCaches,
    log: Logger,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.kind = opts.kind ?? 'ReplicaSet';
    this.#info = kindInfo(this.kind, registry);
    this.#log = log;
    this.#clock = opts.clock ?? realClock;
    this.#queue = opts.queue ?? new WorkQueue<string>({ clock: this.#clock });
    this.#expectations = new Expectations(this.#clock);
    const events =
      opts.recorder ??
      (this.#ownEvents = new EventRecorder(
        client as RestClient,
        this.#info.component,
        os.hostname(),
        log,
      ));
    this.#ctx = {
      client,
      info: this.#info,
      events,
      expectations: this.#expectations,
      log,
      burstReplicas: opts.burstReplicas ?? BURST_REPLICAS,
    };
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureIndex(this.#caches.pods, BY_NAMESPACE);
    ensureIndex(this.#caches.owners, BY_NAMESPACE);
    ensureIndex(this.#caches.owners, BY_CONTROLLER_UID);
  }

  #watch(factory: InformerFactory): ReplicaSetCaches {
    const owners = factory.informerFor(this.#info.ref);
    const pods = factory.informerFor(PODS);
    owners.addEventHandler({
      onAdd: (obj) => this.addOwner(obj),
      onUpdate: (old, obj) => this.updateOwner(old, obj),
      onDelete: (obj) => this.deleteOwner(obj),
    });
    pods.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.deletePod(pod),
    });
    return { pods: pods.store, owners: owners.store };
  }

  async run(signal: AbortSignal, workers = 5): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: this.#info.component,
      events: this.#ownEvents,
    });
  }

  // Informer event handlers: they only enqueue and settle expectations. Public so tests
  // can play events without an informer.

  addOwner(owner: KubeObject): void {
    this.#queue.add(objectKey(owner));
  }

  updateOwner(old: KubeObject, owner: KubeObject): void {
    // Deleted and re-created between two events: the old one's expectations go.
    if (old.metadata?.uid !== owner.metadata?.uid) this.deleteOwner(old);
    this.#queue.add(objectKey(owner));
  }

  deleteOwner(owner: KubeObject): void {
    const key = objectKey(owner);
    this.#expectations.delete(key);
    this.#queue.add(key);
  }

  addPod(pod: KubeObject): void {
    // Seen for the first time already being deleted (after a restart, say): not a creation.
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const owner = this.#resolve(pod, ref);
      if (!owner) return;
      const key = objectKey(owner);
      this.#expectations.creationObserved(key);
      this.#queue.add(key);
      return;
    }
    // An orphan: every owner that selects it may want to adopt it.
    for (const owner of this.#ownersSelecting(pod)) this.#queue.add(objectKey(owner));
  }

  updatePod(old: KubeObject, pod: KubeObject): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    const labelsChanged = !sameLabels(old.metadata?.labels, pod.metadata?.labels);
    if (pod.metadata?.deletionTimestamp) {
      // A graceful deletion started: replace the pod now, not when it is finally gone.
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const ref = controllerRefOf(pod);
    const oldRef = controllerRefOf(old);
    const refChanged = !sameRef(ref, oldRef);
    if (refChanged && oldRef) {
      const previous = this.#resolve(old, oldRef);
      if (previous) this.#queue.add(objectKey(previous));
    }
    if (ref) {
      const owner = this.#resolve(pod, ref);
      if (!owner) return;
      const key = objectKey(owner);
      this.#queue.add(key);
      // Look again once the pod that just became ready counts as available (a second
      // late, so the check is not a hair early).
      const { minReadySeconds } = specOf(owner);
      if (!isPodReady(old) && isPodReady(pod) && minReadySeconds > 0) {
        this.#queue.addAfter(key, minReadySeconds * 1000 + 1000);
      }
      return;
    }
    if (labelsChanged || refChanged) {
      for (const owner of this.#ownersSelecting(pod)) this.#queue.add(objectKey(owner));
    }
  }

  deletePod(pod: KubeObject): void {
    const ref = controllerRefOf(pod);
    if (!ref) return;
    const owner = this.#resolve(pod, ref);
    if (!owner) return;
    const key = objectKey(owner);
    this.#expectations.deletionObserved(key, podKey(pod));
    this.#queue.add(key);
  }

  /** The owner a controller reference names, if it is of our kind and still the same object. */
  #resolve(pod: KubeObject, ref: OwnerReference): KubeObject | undefined {
    if (ref.kind !== this.kind) return undefined;
    const owner = this.#caches.owners.get(`${pod.metadata?.namespace}/${ref.name}`);
    return owner?.metadata?.uid === ref.uid ? owner : undefined;
  }

  /** Owners in the pod's namespace whose selector, which must not be empty, matches it. */
  #ownersSelecting(pod: KubeObject): KubeObject[] {
    return this.#caches.owners.byIndex(BY_NAMESPACE, pod.metadata?.namespace ?? '').filter((o) => {
      const selector = podSelector(o, this.kind);
      return !!selector && selector.length > 0 && matchesLabels(selector, pod.metadata?.labels);
    });
  }

  /** One owner key (syncReplicaSet); exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const owner = this.#caches.owners.get(key);
    if (!owner) {
      this.#expectations.delete(key);
      return;
    }
    const needsSync = this.#expectations.satisfied(key);
    const selector = podSelector(owner, this.kind);
    if (!selector) {
      this.#log.warn({ key }, `${this.kind} ${key} has an invalid pod selector; not syncing`);
      return;
    }
    // Cached pods are shared: claiming and managing only read them; writes go to the API.
    const inNamespace = this.#caches.pods.byIndex(BY_NAMESPACE, owner.metadata?.namespace ?? '');
    const active = await claimObjects(
      {
        client: this.#ctx.client,
        owner,
        ownerResource: this.#ctx.info.ref,
        ownerKind: this.#ctx.info.kind,
        controllerRef: newControllerRef(owner, this.#ctx.info),
        resource: PODS,
        kind: 'Pod',
        match: (pod) => matchesLabels(selector, pod.metadata?.labels),
      },
      inNamespace.filter(isPodActive),
    );
    let manageError: Error | undefined;
    if (needsSync && !owner.metadata?.deletionTimestamp) {
      const related = () => this.#relatedPods(owner);
      try {
        await manageReplicas(this.#ctx, owner, active, related, this.#clock.now());
      } catch (err) {
        manageError = err instanceof Error ? err : new Error(errorMessage(err));
      }
    }
    const status = calculateStatus(owner, active, manageError, this.#clock.now());
    await updateStatus(this.#ctx, owner, status);
    if (manageError) throw manageError;
    const spec = specOf(owner);
    const ready = status.readyReplicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (spec.minReadySeconds > 0 && ready === spec.replicas && available !== spec.replicas) {
      return { requeueAfterMs: spec.minReadySeconds * 1000 };
    }
    // Kubernetes relies on its informers' periodic resync to come back to an owner whose
    // expectations never settle; wharf's informers do not resync, so look at expiry.
    if (!needsSync) {
      const expiresIn = this.#expectations.expiresIn(key);
      if (expiresIn !== undefined) return { requeueAfterMs: expiresIn + 1 };
    }
  }

  /** getIndirectlyRelatedPods: pods selected by every owner with the same controller. */
  #relatedPods(owner: KubeObject): KubeObject[] {
    const controller = controllerRefOf(owner);
    if (!controller) return [];
    const seen = new Set<string>();
    const related: KubeObject[] = [];
    for (const other of this.#caches.owners.byIndex(BY_CONTROLLER_UID, controller.uid)) {
      const selector = podSelector(other, this.kind);
      if (!selector) continue;
      const ns = other.metadata?.namespace ?? '';
      for (const pod of this.#caches.pods.byIndex(BY_NAMESPACE, ns)) {
        const uid = pod.metadata?.uid ?? podKey(pod);
        if (seen.has(uid) || !matchesLabels(selector, pod.metadata?.labels)) continue;
        seen.add(uid);
        related.push(pod);
      }
    }
    return related;
  }
}

function kindInfo(kind: ReplicaSetKind, registry: ResourceRegistry | undefined): KindInfo {
  const info = KINDS[kind];
  const { group, version } = info.ref;
  const type = registry?.byKind(group, version, kind);
  if (registry && !type) throw new Error(`${kind} (${info.apiVersion}) is not served`);
  return info;
}

function sameLabels(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

function sameRef(a: OwnerReference | undefined, b: OwnerReference | undefined): boolean {
  if (!a || !b) return a === b;
  const fields = ['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion'] as const;
  return fields.every((f) => a[f] === b[f]);
}
