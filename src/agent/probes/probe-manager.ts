import type { Clock } from '../../client/index.ts';

type TimerHandle = ReturnType<Clock['setTimeout']>;
import type { Container, Probe } from '../k8s-types.ts';
import type { ProbeOutcome, ProbeTarget } from './run-probe.ts';

// One worker per probe of each running container (the kubelet's prober workers). A worker
// waits initialDelaySeconds, then probes every periodSeconds; a result flips only after
// successThreshold successes or failureThreshold failures in a row. Until a startup
// probe succeeds, liveness and readiness do not run and the container is not started.
// Workers are keyed by container id: a restarted container gets fresh workers, so a
// liveness failure never carries over to its successor.

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ContainerProbeState {
  started: boolean;
  ready: boolean;
  /** Set once liveness or startup failed for good: the container must be restarted. */
  failed?: { kind: 'liveness' | 'startup'; message: string };
}

export interface ProbeEvents {
  /** The state of a container changed: its pod needs a sync. */
  changed(podUid: string): void;
  /** A single probe attempt failed (the Unhealthy event). */
  unhealthy(podUid: string, container: string, kind: ProbeKind, message: string): void;
}

type RunProbe = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  timer?: TimerHandle;
  stopped: boolean;
  successes: number;
  failures: number;
}

interface Entry {
  podUid: string;
  target: ProbeTarget;
  state: ContainerProbeState;
  workers: Worker[];
}

export class ProbeManager {
  readonly #run: RunProbe;
  readonly #events: ProbeEvents;
  readonly #clock: Clock;
  readonly #byContainerId = new Map<string, Entry>();

  constructor(run: RunProbe, events: ProbeEvents, clock: Clock) {
    this.#run = run;
    this.#events = events;
    this.#clock = clock;
  }

  /** Starts the workers of a running container (idempotent per container id). */
  ensure(podUid: string, container: Container, containerId: string, podIP: string): void {
    if (this.#byContainerId.has(containerId)) return;
    const entry: Entry = {
      podUid,
      target: { containerId, container, podIP },
      state: { started: !container.startupProbe, ready: !container.readinessProbe },
      workers: [],
    };
    const add = (kind: ProbeKind, probe: Probe | undefined) => {
      if (probe) entry.workers.push({ kind, probe, stopped: false, successes: 0, failures: 0 });
    };
    add('startup', container.startupProbe);
    add('liveness', container.livenessProbe);
    add('readiness', container.readinessProbe);
    this.#byContainerId.set(containerId, entry);
    for (const worker of entry.workers) {
      if (worker.kind === 'startup' || entry.state.started) this.#schedule(entry, worker, true);
    }
  }

  /** What the probes say about a container; a container without workers is started and ready. */
  state(containerId: string): ContainerProbeState {
    return this.#byContainerId.get(containerId)?.state ?? { started: true, ready: true };
  }

  /** Stops the workers of every container not in `keep` (exited, removed, pod gone). */
  retain(keep: Set<string>): void {
    for (const [id, entry] of this.#byContainerId) {
      if (keep.has(id)) continue;
      for (const w of entry.workers) this.#stop(w);
      this.#byContainerId.delete(id);
    }
  }

  stopAll(): void {
    this.retain(new Set());
  }

  #stop(worker: Worker): void {
    worker.stopped = true;
    if (worker.timer !== undefined) this.#clock.clearTimeout(worker.timer);
  }

  #schedule(entry: Entry, worker: Worker, first: boolean): void {
    if (worker.stopped) return;
    const seconds = first
      ? (worker.probe.initialDelaySeconds ?? 0)
      : (worker.probe.periodSeconds ?? 10);
    worker.timer = this.#clock.setTimeout(() => void this.#tick(entry, worker), seconds * 1000);
  }

  async #tick(entry: Entry, worker: Worker): Promise<void> {
    if (worker.stopped) return;
    const outcome = await this.#run(worker.probe, entry.target);
    if (worker.stopped) return;
    const { state } = entry;
    const before = JSON.stringify(state);
    if (outcome.ok) {
      worker.failures = 0;
      worker.successes++;
      const needed = worker.kind === 'readiness' ? (worker.probe.successThreshold ?? 1) : 1;
      if (worker.successes >= needed) this.#succeeded(entry, worker);
    } else {
      worker.successes = 0;
      worker.failures++;
      this.#events.unhealthy(
        entry.podUid,
        entry.target.container.name,
        worker.kind,
        outcome.message,
      );
      if (worker.failures >= (worker.probe.failureThreshold ?? 3))
        this.#failed(entry, worker, outcome.message);
    }
    if (JSON.stringify(state) !== before) this.#events.changed(entry.podUid);
    if (worker.kind === 'startup' && state.started) return this.#stop(worker);
    if (state.failed) return entry.workers.forEach((w) => this.#stop(w));
    this.#schedule(entry, worker, false);
  }

  #succeeded(entry: Entry, worker: Worker): void {
    if (worker.kind === 'readiness') entry.state.ready = true;
    if (worker.kind === 'startup' && !entry.state.started) {
      entry.state.started = true;
      for (const w of entry.workers) if (w.kind !== 'startup') this.#schedule(entry, w, true);
    }
  }

  #failed(entry: Entry, worker: Worker, message: string): void {
    if (worker.kind === 'readiness') entry.state.ready = false;
    else entry.state.failed = { kind: worker.kind, message };
  }
}
