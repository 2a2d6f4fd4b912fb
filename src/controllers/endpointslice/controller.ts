import os from 'node:os';
import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import {
  BucketRateLimiter,
  EventRecorder,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  objectKey,
  realClock,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import {
  ensureNamespaceIndex,
  PODS,
  podServiceMemberships,
  selectedPods,
  SERVICES,
  serviceSelector,
  servicesToUpdateOnPodChange,
  serviceSpec,
  StaleRetry,
  TriggerTimeTracker,
  type EventSink,
} from '../endpoints/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import { reconcileSlices, type SliceClient } from './reconciler.ts';
import {
  byName,
  LABEL_MANAGED_BY,
  managedByController,
  NODES,
  serviceKeyOf,
  SLICES,
  type EndpointSlice,
} from './slices.ts';
import { EndpointSliceTracker } from './tracker.ts';

// The EndpointSlice controller of kube-controller-manager (pkg/controller/endpointslice).
// Work items are service keys. Service and pod events enqueue at once; changes to our
// slices made by someone else enqueue after a second (endpointSliceChangeMinSyncDelay),
// while the informer events of our own writes are recognised by the tracker and
// ignored. reconcile(key) hands the service, its pods and its slices to the reconciler.
// Slices of a deleted service are left to the garbage collector (they are owned by it);
// slices with another manager are never touched.

const COMPONENT = 'endpointslice-controller';
/** --max-endpoints-per-slice. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
const SLICE_CHANGE_DELAY_MS = 1000;
/**
 * Failures in a row after which a service is dropped out of the queue (kube's
 * maxRetries); with this controller's back-off (1 s doubling to 1000 s) that is hours.
 */
const MAX_RETRIES = 15;
/** Slices by the key of the service they belong to (their service-name label). */
const BY_SERVICE = 'endpointslice/service';

export interface EndpointSliceCaches {
  services: StoreReader;
  pods: StoreReader;
  slices: StoreReader;
  /** Where endpoints get their zone; pods on nodes missing here are left out. */
  nodes: StoreReader;
}

export interface EndpointSliceControllerOptions {
  clock?: Clock;
  /** Default: an EventRecorder writing through the client. */
  recorder?: EventSink;
  queue?: WorkQueue<string>;
  maxEndpointsPerSlice?: number;
}

export class EndpointSliceController {
  readonly #client: SliceClient;
  readonly #factory?: InformerFactory;
  readonly #caches: EndpointSliceCaches;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #events: EventSink;
  readonly #maxEndpointsPerSlice: number;
  readonly #tracker = new EndpointSliceTracker();
  readonly #triggerTimes = new TriggerTimeTracker();
  readonly #stale = new StaleRetry();

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: SliceClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | EndpointSliceCaches,
    log: Logger,
    opts: EndpointSliceControllerOptions = {},
  ) {
    this.#client = client;
    this.#log = log;
    this.#queue = opts.queue ?? sliceQueue(opts.clock ?? realClock);
    this.#events =
      opts.recorder ??
      (this.#ownEvents = new EventRecorder(client as RestClient, COMPONENT, os.hostname(), log));
    this.#maxEndpointsPerSlice = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureNamespaceIndex(this.#caches.services);
    ensureNamespaceIndex(this.#caches.pods);
    try {
      this.#caches.slices.byIndex(BY_SERVICE, '');
    } catch {
      this.#caches.slices.addIndexer(BY_SERVICE, (s) => {
        const key = serviceKeyOf(s);
        return key ? [key] : [];
      });
    }
  }

  #watch(factory: InformerFactory): EndpointSliceCaches {
    const services = factory.informerFor(SERVICES);
    const pods = factory.informerFor(PODS);
    const slices = factory.informerFor(SLICES);
    // No handlers: node changes matter only to topology hints, which are not kept.
    const nodes = factory.informerFor(NODES);
    const enqueue = (obj: KubeObject) => this.#queue.add(objectKey(obj));
    services.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, svc) => enqueue(svc),
      onDelete: enqueue,
    });
    pods.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.addPod(pod),
    });
    slices.addEventHandler({
      onAdd: (slice) => this.addSlice(slice),
      onUpdate: (old, slice) => this.updateSlice(old, slice),
      onDelete: (slice) => this.deleteSlice(slice),
    });
    return { services: services.store, pods: pods.store, slices: slices.store, nodes: nodes.store };
  }

  async run(signal: AbortSignal, workers = 5): Promise<void> {
    return runController(signal, {
      factory: this.#factory,
      queue: this.#queue,
      workers,
      reconcile: (key) => this.reconcile(key),
      log: this.#log,
      name: COMPONENT,
      retry: { maxRetries: MAX_RETRIES },
      events: this.#ownEvents,
    });
  }

  // Event handlers: they only enqueue. Public so tests can play events.

  /** Also the deletion handler: the services that selected the pod lose it. */
  addPod(pod: KubeObject): void {
    for (const key of podServiceMemberships(this.#caches.services, pod)) this.#queue.add(key);
  }

  updatePod(old: KubeObject, pod: KubeObject): void {
    for (const key of servicesToUpdateOnPodChange(this.#caches.services, old, pod)) {
      this.#queue.add(key);
    }
  }

  addSlice(slice: KubeObject): void {
    if (managedByController(slice) && this.#tracker.shouldSync(slice)) this.#queueFor(slice);
  }

  updateSlice(old: KubeObject, slice: KubeObject): void {
    if (serviceKeyOf(old) !== serviceKeyOf(slice)) {
      this.#queueFor(slice);
      this.#queueFor(old);
      return;
    }
    const managerChanged =
      old.metadata?.labels?.[LABEL_MANAGED_BY] !== slice.metadata?.labels?.[LABEL_MANAGED_BY];
    if (managerChanged || (managedByController(slice) && this.#tracker.shouldSync(slice))) {
      this.#queueFor(slice);
    }
  }

  /** A slice of ours deleted by someone else is written again. */
  deleteSlice(slice: KubeObject): void {
    if (!managedByController(slice) || !this.#tracker.has(slice)) return;
    if (!this.#tracker.handleDeletion(slice)) this.#queueFor(slice);
  }

  #queueFor(slice: KubeObject): void {
    const key = serviceKeyOf(slice);
    if (key) this.#queue.addAfter(key, SLICE_CHANGE_DELAY_MS);
  }

  /** syncService; exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const service = this.#caches.services.get(key);
    if (!service) {
      this.#triggerTimes.deleteService(key);
      this.#tracker.deleteService(key);
      this.#stale.caughtUp(key);
      return;
    }
    if (serviceSpec(service).type === 'ExternalName' || !serviceSelector(service)) return;

    const pods = selectedPods(this.#caches.pods, service);
    const slices = this.#caches.slices
      .byIndex(BY_SERVICE, key)
      // Slices being deleted are ignored, lest a finalizer keep the controller stuck.
      .filter((s) => managedByController(s) && !s.metadata?.deletionTimestamp)
      .sort(byName) as EndpointSlice[];
    if (this.#tracker.staleSlices(key, slices)) return this.#stale.retry(key);
    this.#stale.caughtUp(key);
    // Computed before knowing whether anything changes, so the tracker follows every sync.
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const ctx = {
      client: this.#client,
      tracker: this.#tracker,
      nodes: this.#caches.nodes,
      maxEndpointsPerSlice: this.#maxEndpointsPerSlice,
    };
    try {
      await reconcileSlices(ctx, service, pods, slices, triggerTime);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#events.event(
        service,
        'Warning',
        'FailedToUpdateEndpointSlices',
        `Error updating Endpoint Slices for Service ${key}: ${message}`,
      );
      throw err;
    }
  }
}

/**
 * client-go's default controller limiter with a per-item back-off from 1 s instead of
 * 5 ms (kube's defaultSyncBackOff/maxSyncBackOff): a service sync can rewrite many slices,
 * so failures must not hammer the API server.
 */
function sliceQueue(clock: Clock): WorkQueue<string> {
  const rateLimiter = new MaxOfRateLimiter<string>(
    new ItemExponentialRateLimiter<string>(1000, 1_000_000),
    new BucketRateLimiter<string>(clock),
  );
  return new WorkQueue<string>({ clock, rateLimiter });
}
