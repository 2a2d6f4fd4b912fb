import os from 'node:os';
import type { KubeObject, ResourceRegistry } from '../../api/index.ts';
import {
  ApiError,
  isNamespaceTerminating,
  EventRecorder,
  isNotFound,
  objectKey,
  realClock,
  splitKey,
  WorkQueue,
  type Clock,
  type InformerFactory,
  type Logger,
  type RestClient,
  type StoreReader,
} from '../../client/index.ts';
import { runController, type ReconcileResult } from '../workers.ts';
import {
  ensureNamespaceIndex,
  podServiceMemberships,
  selectedPods,
  serviceSelector,
  servicesToUpdateOnPodChange,
} from './membership.ts';
import { isServiceIPSet } from './pods.ts';
import { rfc3339Nano, semanticEqual } from './semantic.ts';
import { StaleRetry } from './stale-retry.ts';
import { desiredSubsets, truncateSubsets } from './subsets.ts';
import { TriggerTimeTracker } from './trigger-time.ts';
import {
  ANNOTATION_TRIGGER_TIME,
  ENDPOINTS,
  LABEL_HEADLESS,
  PODS,
  SERVICES,
  serviceSpec,
} from './types.ts';

// The endpoints controller of kube-controller-manager (pkg/controller/endpoint). Work
// items are service keys (`namespace/name`); service, pod and Endpoints events only
// enqueue them, at once (no batching period). reconcile(key) computes the Endpoints of a
// service with a selector from the pods it selects and writes them when they differ
// from the cached ones; a service that is gone loses its Endpoints. Services without a
// selector (their Endpoints are written by someone else, as the API server's own
// `kubernetes` service) and ExternalName services are left alone.

/** v1.EndpointsOverCapacity. */
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
/** Leader-election records kept in Endpoints without a service: never collected. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';
/** The API server writes these; the service has no selector, this is belt and braces. */
const API_SERVER_ENDPOINTS = 'default/kubernetes';
const COMPONENT = 'endpoint-controller';
/**
 * Failures in a row after which a service is dropped out of the queue (kube's
 * maxRetries: back-offs of 5 ms … 82 s); a new event or resync brings it back.
 */
const MAX_RETRIES = 15;

export interface EndpointsCaches {
  services: StoreReader;
  pods: StoreReader;
  endpoints: StoreReader;
}

export type EndpointsClient = Pick<RestClient, 'create' | 'update' | 'delete'>;

/** Where events go: an EventRecorder, or a test's list. */
export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface EndpointsControllerOptions {
  clock?: Clock;
  /** Default: an EventRecorder writing through the client. */
  recorder?: EventSink;
  queue?: WorkQueue<string>;
}

export class EndpointsController {
  readonly #client: EndpointsClient;
  readonly #factory?: InformerFactory;
  readonly #caches: EndpointsCaches;
  readonly #queue: WorkQueue<string>;
  readonly #log: Logger;
  readonly #events: EventSink;
  readonly #triggerTimes = new TriggerTimeTracker();
  /**
   * The resourceVersion each service's Endpoints had before our last update (or '' after
   * creating them): seeing it in the cache again (or no Endpoints at all) means the cache
   * has not caught up with our write yet. Kubernetes tracks updates only and lets a
   * second create fail with AlreadyExists; that race is common enough here to avoid.
   */
  readonly #staleVersions = new Map<string, string>();
  readonly #stale = new StaleRetry();

  /** The recorder made here (not handed in), closed when the controller stops. */
  readonly #ownEvents?: EventRecorder;

  constructor(
    client: EndpointsClient,
    _registry: ResourceRegistry | undefined,
    factory: InformerFactory | EndpointsCaches,
    log: Logger,
    opts: EndpointsControllerOptions = {},
  ) {
    this.#client = client;
    this.#log = log;
    this.#queue = opts.queue ?? new WorkQueue<string>({ clock: opts.clock ?? realClock });
    this.#events =
      opts.recorder ??
      (this.#ownEvents = new EventRecorder(client as RestClient, COMPONENT, os.hostname(), log));
    if ('informerFor' in factory) {
      this.#factory = factory;
      this.#caches = this.#watch(factory);
    } else {
      this.#caches = factory;
    }
    ensureNamespaceIndex(this.#caches.services);
    ensureNamespaceIndex(this.#caches.pods);
  }

  #watch(factory: InformerFactory): EndpointsCaches {
    const services = factory.informerFor(SERVICES);
    const pods = factory.informerFor(PODS);
    const endpoints = factory.informerFor(ENDPOINTS);
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
    // Endpoints deleted by someone else are written again if their service wants them.
    endpoints.addEventHandler({ onDelete: (ep) => this.deleteEndpoints(ep) });
    return { services: services.store, pods: pods.store, endpoints: endpoints.store };
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
      started: () => this.checkLeftoverEndpoints(),
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

  deleteEndpoints(ep: KubeObject): void {
    const key = objectKey(ep);
    this.#staleVersions.delete(key);
    this.#queue.add(key);
  }

  /**
   * Every Endpoints is looked at once at start-up, so ones whose service went while the
   * controller was down are deleted.
   */
  checkLeftoverEndpoints(): void {
    for (const ep of this.#caches.endpoints.list()) {
      if (ep.metadata?.annotations?.[LEADER_ANNOTATION] !== undefined) continue;
      this.#queue.add(objectKey(ep));
    }
  }

  /** syncService; exported for tests, which call it with seeded caches. */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const service = this.#caches.services.get(key);
    if (!service) {
      this.#triggerTimes.deleteService(key);
      this.#staleVersions.delete(key);
      this.#stale.caughtUp(key);
      if (key === API_SERVER_ENDPOINTS) return;
      try {
        await this.#client.delete(ENDPOINTS, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (serviceSpec(service).type === 'ExternalName' || !serviceSelector(service)) return;

    const current = this.#caches.endpoints.get(key);
    const version = current?.metadata?.resourceVersion ?? '';
    const written = this.#staleVersions.get(key);
    if (written !== undefined && (!current || written === version)) return this.#stale.retry(key);
    this.#staleVersions.delete(key);
    this.#stale.caughtUp(key);

    const pods = selectedPods(this.#caches.pods, service);
    // Computed before the no-op check, so the tracker's state follows every sync.
    const triggerTime = this.#triggerTimes.compute(key, service, pods);
    const { subsets, truncated } = truncateSubsets(desiredSubsets(service, pods));
    const labels = endpointsLabels(service);
    if (
      current &&
      semanticEqual(current.subsets, subsets) &&
      semanticEqual(current.metadata?.labels, labels) &&
      (current.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY] !== undefined) === truncated
    ) {
      return;
    }

    // A copy: objects in the cache are shared and never mutated.
    const next: KubeObject & { subsets?: unknown } = current
      ? structuredClone(current)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } };
    const metadata = (next.metadata ??= {});
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    else delete metadata.labels;
    const annotations = { ...metadata.annotations };
    if (triggerTime > 0) annotations[ANNOTATION_TRIGGER_TIME] = rfc3339Nano(triggerTime);
    else delete annotations[ANNOTATION_TRIGGER_TIME];
    if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
    else delete annotations[ANNOTATION_OVER_CAPACITY];
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    else delete metadata.annotations;

    try {
      if (current) await this.#client.update(ENDPOINTS, namespace, name, next);
      else await this.#client.create(ENDPOINTS, namespace, next);
      this.#staleVersions.set(key, version);
    } catch (err) {
      // Creations in a terminating namespace keep failing: drop the key.
      if (!current && namespaceTerminating(err)) return;
      const message = err instanceof Error ? err.message : String(err);
      if (current) {
        this.#events.event(
          next,
          'Warning',
          'FailedToUpdateEndpoint',
          `Failed to update endpoint ${key}: ${message}`,
        );
      } else {
        this.#events.event(
          next,
          'Warning',
          'FailedToCreateEndpoint',
          `Failed to create endpoint for service ${key}: ${message}`,
        );
      }
      throw err;
    }
  }
}

/** The service's labels, and the headless label when it has no cluster IP. */
function endpointsLabels(service: KubeObject): Record<string, string> {
  const labels = { ...service.metadata?.labels };
  if (isServiceIPSet(service)) delete labels[LABEL_HEADLESS];
  else labels[LABEL_HEADLESS] = '';
  return labels;
}

function namespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.code === 403 && isNamespaceTerminating(err);
}
