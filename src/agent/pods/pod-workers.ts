import { rfc3339 } from '../../api/index.ts';
import type { ClusterDnsSettings } from './pod-dns.ts';
import type { Clock, Logger, ResourceRef, RestClient } from '../../client/index.ts';
import { isNotFound, WorkQueue } from '../../client/index.ts';
import type { Container, Pod } from '../k8s-types.ts';
import type { ProbeManager } from '../probes/probe-manager.ts';
import { runProbe } from '../probes/run-probe.ts';
import { MAX_PODS } from '../node/node-object.ts';
import type { ContainerStatus, RuntimeDriver } from '../runtime/types.ts';
import { RestartBackoff } from './backoff.ts';
import { gracePeriodSeconds, newPodRecord, noteContainer, type PodRecord } from './pod-record.ts';
import { podStatus, type ContainerView } from './pod-status.ts';
import type { PodConfig, PodEvents } from './start-container.ts';
import { PodSyncer, type PodVolumes } from './sync-pod.ts';
import { terminatedMessage, type TerminationMessages } from './termination-message.ts';

// The kubelet's pod workers: one record per pod bound to this node, synced one pass at a
// time per pod (the work queue never hands out a key twice at once) by as many workers in
// parallel as a node holds pods, as the kubelet has a goroutine per pod: a pod waiting
// for a worker while others start would add their start to its own. After each pass the
// pod's status is written if it changed; a pod being deleted is stopped within its grace
// period, its final status written, and then the API object is removed (grace 0) — the
// kubelet's half of graceful deletion.

const FINISHED_LIMIT = 10_000;
/** The node's pod capacity: no pod waits for another to get a worker. */
const WORKERS = MAX_PODS;

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };

export interface PodWorkersOptions {
  client: RestClient;
  runtime: RuntimeDriver;
  config: PodConfig;
  volumes: PodVolumes;
  events: PodEvents;
  probes: (events: {
    changed(uid: string): void;
    unhealthy(uid: string, container: string, kind: string, message: string): void;
  }) => ProbeManager;
  hostIP: string;
  /** The cluster DNS ClusterFirst pods are given; absent: pods use the node's resolver. */
  clusterDNS?: ClusterDnsSettings;
  clock: Clock;
  log: Logger;
  workers?: number;
  /** Where containers' termination messages are kept; none are without it. */
  terminationMessages?: TerminationMessages;
}

export class PodWorkers {
  readonly #opts: PodWorkersOptions;
  readonly #records = new Map<string, PodRecord>();
  /**
   * Pods this agent finished (stopped, cleaned up, deletion asked) whose API object may
   * linger under finalizers: their updates are not work any more.
   */
  readonly #finished = new Set<string>();
  readonly #queue: WorkQueue<string>;
  readonly #syncer: PodSyncer;
  readonly #probes: ProbeManager;
  readonly #runtimeName: string;

  constructor(opts: PodWorkersOptions) {
    this.#opts = opts;
    this.#queue = new WorkQueue<string>({ clock: opts.clock });
    this.#probes = opts.probes({
      changed: (uid) => this.#queue.add(uid),
      unhealthy: (uid, container, kind, message) => {
        const record = this.#records.get(uid);
        const probe = kind[0]!.toUpperCase() + kind.slice(1);
        if (record)
          opts.events.warning(
            record.pod,
            'Unhealthy',
            `${probe} probe failed: ${message}`,
            container,
          );
      },
    });
    this.#runtimeName = opts.runtime.name;
    this.#syncer = new PodSyncer({
      ...opts,
      probes: this.#probes,
      restartBackoff: new RestartBackoff(opts.clock),
      pullBackoff: new RestartBackoff(opts.clock),
      runHook: (record, id, container, hook, deadlineMs) =>
        this.#runHook(record, id, container, hook, deadlineMs),
    });
    opts.runtime.onContainerExit((status) => this.#onExit(status));
  }

  /** Takes over what the runtime still runs (after an agent restart), before the pods sync. */
  adopt(
    containers: ContainerStatus[],
    sandboxes: Awaited<ReturnType<RuntimeDriver['listSandboxes']>>,
  ): void {
    for (const sandbox of sandboxes) {
      const record = this.#recordFor(sandbox.podUid, sandbox.podName, sandbox.namespace);
      if (!record.sandbox || record.sandbox.createdAt < sandbox.createdAt) record.sandbox = sandbox;
    }
    for (const c of containers) noteContainer(this.#recordFor(c.podUid, c.podName, c.namespace), c);
  }

  /** The informer saw this pod (added or changed). */
  update(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    if (this.#finished.has(uid)) return;
    const record = this.#records.get(uid);
    if (!record) {
      const fresh = newPodRecord(pod, rfc3339(this.#opts.clock.now()));
      this.#records.set(uid, fresh);
    } else {
      record.pod = pod;
      record.removed = false;
    }
    this.#queue.add(uid);
  }

  /** The pod left the API (or this node): tear it down. */
  remove(pod: Pod): void {
    this.#finished.delete(pod.metadata!.uid!);
    const record = this.#records.get(pod.metadata!.uid!);
    if (!record) return;
    record.removed = true;
    this.#queue.add(record.uid);
  }

  /** Pods whose uid is not in `live` are orphans (e.g. deleted while the agent was down). */
  removeAllExcept(live: Set<string>): void {
    for (const record of this.#records.values()) {
      if (live.has(record.uid)) continue;
      record.removed = true;
      this.#queue.add(record.uid);
    }
  }

  /** Sends every pod round again (a ConfigMap or Secret changed, a periodic resync). */
  resyncAll(filter: (pod: Pod) => boolean = () => true): void {
    for (const record of this.#records.values())
      if (filter(record.pod)) this.#queue.add(record.uid);
  }

  record(uid: string): PodRecord | undefined {
    return this.#records.get(uid);
  }

  findPod(namespace: string, name: string): PodRecord | undefined {
    for (const r of this.#records.values()) {
      if (!r.removed && r.pod.metadata?.namespace === namespace && r.pod.metadata?.name === name)
        return r;
    }
    return undefined;
  }

  get count(): number {
    return this.#records.size;
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.#queue.shutDown(), { once: true });
    const worker = async () => {
      for (;;) {
        const uid = await this.#queue.get();
        if (uid === undefined) return;
        try {
          const after = await this.#sync(uid);
          this.#queue.forget(uid);
          if (after !== undefined) this.#queue.addAfter(uid, after);
        } catch (err) {
          this.#opts.log.warn({ err, uid }, 'agent: pod sync failed; retrying with back-off');
          this.#queue.addRateLimited(uid);
        } finally {
          this.#queue.done(uid);
        }
      }
    };
    await Promise.all(Array.from({ length: this.#opts.workers ?? WORKERS }, worker));
    this.#probes.stopAll();
  }

  async #sync(uid: string): Promise<number | undefined> {
    const record = this.#records.get(uid);
    if (!record) return undefined;
    const { pod } = record;
    const deleting = record.removed || !!pod.metadata?.deletionTimestamp;
    if (deleting) {
      if (!record.stopped || this.#anyRunning(record))
        await this.#syncer.stopAll(record, gracePeriodSeconds(pod));
      if (!record.removed) await this.#writeStatus(record, true);
      // Everything of the pod goes before its API object does: whoever waits for the
      // deletion (kubectl delete --wait, a controller) then finds the node clean.
      await this.#syncer.cleanUp(record);
      if (!record.removed) {
        await this.#deleteFromApi(pod);
        this.#finished.add(uid);
        if (this.#finished.size > FINISHED_LIMIT) {
          this.#finished.delete(this.#finished.values().next().value!);
        }
      }
      this.#probes.retain(this.#liveContainerIds());
      this.#records.delete(uid);
      return undefined;
    }
    let after: number | undefined;
    if (!record.stopped) after = (await this.#syncer.sync(record)).requeueAfterMs;
    this.#probes.retain(this.#liveContainerIds());
    const phase = await this.#writeStatus(record, false);
    if ((phase === 'Succeeded' || phase === 'Failed') && !record.stopped) {
      await this.#syncer.stopAll(record, gracePeriodSeconds(pod));
      await this.#writeStatus(record, false);
    }
    return after;
  }

  #anyRunning(record: PodRecord): boolean {
    return [...record.containers.values()].flat().some((c) => c.state === 'running');
  }

  #liveContainerIds(): Set<string> {
    const ids = new Set<string>();
    for (const r of this.#records.values())
      for (const list of r.containers.values())
        for (const c of list) if (c.state === 'running') ids.add(c.id);
    return ids;
  }

  async #writeStatus(record: PodRecord, terminated: boolean): Promise<string | undefined> {
    const { pod } = record;
    const containers = new Map<string, ContainerView>();
    for (const [name, known] of record.containers) {
      // Only exited containers have messages to read: the common pass does no await here.
      const instances = known.some((c) => c.state === 'exited')
        ? await this.#withMessages(record, known)
        : known;
      const running = instances[0]?.state === 'running' ? instances[0] : undefined;
      const probe = running ? this.#probes.state(running.id) : undefined;
      containers.set(name, {
        instances,
        ...(record.waiting.has(name) && !running ? { waiting: record.waiting.get(name)! } : {}),
        ready: !!running && !!probe?.ready && !!probe.started && !terminated,
        started: !!running && !!probe?.started,
      });
    }
    for (const [name, waiting] of record.waiting) {
      if (!containers.has(name))
        containers.set(name, { instances: [], waiting, ready: false, started: false });
    }
    const status = podStatus(pod, {
      runtimeName: this.#runtimeName,
      sandboxReady: !!record.sandbox && record.sandbox.state === 'ready' && !record.stopped,
      podIPs: record.sandbox?.ips ?? [],
      hostIP: this.#opts.hostIP,
      startTime: record.startTime,
      initDone: record.initDone,
      containers,
      ...(record.failure ? { failure: record.failure } : {}),
      terminated,
      now: rfc3339(this.#opts.clock.now()),
    });
    const json = JSON.stringify(status);
    if (json === record.lastStatus) return status.phase;
    try {
      await this.#opts.client.patch(
        PODS,
        pod.metadata!.namespace!,
        pod.metadata!.name!,
        { status },
        'merge',
        {
          subresource: 'status',
        },
      );
      record.lastStatus = json;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return status.phase;
  }

  /**
   * The container's instances with the messages of those that exited, termination
   * messages included (termination-message.ts); each is read once.
   */
  async #withMessages(record: PodRecord, instances: ContainerStatus[]): Promise<ContainerStatus[]> {
    const messages = this.#opts.terminationMessages;
    if (!messages) return instances;
    const spec = record.pod.spec;
    const containers = [
      ...(spec?.containers ?? []),
      ...(spec?.initContainers ?? []),
      ...((spec?.ephemeralContainers ?? []) as Container[]),
    ];
    return Promise.all(
      instances.map(async (c) => {
        if (c.state !== 'exited') return c;
        let message = record.exitMessages.get(c.id);
        if (message === undefined) {
          const container = containers.find((s) => s.name === c.name);
          message = (await terminatedMessage(messages, this.#opts.runtime, c, container)) ?? '';
          record.exitMessages.set(c.id, message);
        }
        return message ? { ...c, message } : c;
      }),
    );
  }

  async #deleteFromApi(pod: Pod): Promise<void> {
    try {
      await this.#opts.client.delete(PODS, pod.metadata!.namespace!, pod.metadata!.name!, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata!.uid! },
      });
    } catch (err) {
      if (!isNotFound(err) && !(err as { status?: number }).status) throw err;
    }
  }

  #onExit(status: ContainerStatus): void {
    const record = this.#records.get(status.podUid);
    if (!record) return;
    noteContainer(record, status);
    this.#queue.add(record.uid);
  }

  #recordFor(uid: string, name: string, namespace: string): PodRecord {
    let record = this.#records.get(uid);
    if (!record) {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { uid, name, namespace },
        spec: { containers: [] },
      };
      record = newPodRecord(pod, new Date(this.#opts.clock.now()).toISOString());
      record.removed = true;
      this.#records.set(uid, record);
    }
    return record;
  }

  async #runHook(
    record: PodRecord,
    containerId: string,
    container: Container,
    hook: 'postStart' | 'preStop',
    deadlineMs = 30_000,
  ): Promise<string | undefined> {
    const handler = container.lifecycle?.[hook];
    if (!handler) return undefined;
    if (handler.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(handler.sleep!.seconds * 1000, deadlineMs)));
      return undefined;
    }
    const podIP =
      record.pod.spec?.hostNetwork || !record.sandbox?.ips.length
        ? this.#opts.hostIP
        : record.sandbox.ips[0]!;
    const outcome = await runProbe(
      this.#opts.runtime,
      { ...(handler as object), timeoutSeconds: Math.max(1, Math.ceil(deadlineMs / 1000)) },
      { containerId, container, podIP },
    );
    if (outcome.ok) return undefined;
    const what = handler.exec
      ? `Exec lifecycle hook (${JSON.stringify(handler.exec.command ?? [])})`
      : 'HTTP lifecycle hook';
    return `${what} for Container "${container.name}" in Pod "${record.pod.metadata!.name}_${record.pod.metadata!.namespace}(${record.uid})" failed - error: ${outcome.message}`;
  }
}
