import { podDnsConfig, type ClusterDnsSettings } from './pod-dns.ts';
import type { Clock } from '../../client/index.ts';
import type { Container, Pod } from '../k8s-types.ts';
import type { ProbeManager } from '../probes/probe-manager.ts';
import type { ContainerStatus, DnsConfig, RuntimeDriver, SandboxSpec } from '../runtime/types.ts';
import type { RestartBackoff } from './backoff.ts';
import type { TerminationMessages } from './termination-message.ts';
import {
  containerHash,
  gracePeriodSeconds,
  latest,
  noteContainer,
  podLabel,
  type PodRecord,
} from './pod-record.ts';
import {
  beginImageChecks,
  startContainer,
  type PodConfig,
  type PodEvents,
} from './start-container.ts';

// One pass of the kubelet's syncPod for a pod that should run: volumes, sandbox, init
// containers in order, then app containers, restarts under back-off, liveness kills and
// activeDeadlineSeconds. Each pass does what is due now and says when to look again;
// container exits and probe results also send the pod round.
//
//   volumes ─► sandbox ─► init 1 … init n (each to exit 0) ─► app containers
//                 ▲                                               │
//                 └──── sandbox lost: kill all, start over ◄──────┤
//   ephemeral containers (kubectl debug): once the sandbox is there, started once, never restarted
//   app container:  (none) ─start─► running ─exit─► exited ─restart policy─► back-off ─► start
//                                      │ liveness/startup failed, spec changed: kill ─► exited
//   pod: terminal phase or deletion ─► preStop, SIGTERM … SIGKILL ─► stopped ─► cleaned up

export interface PodVolumes {
  /**
   * Prepares (or refreshes) the pod's volumes. Throws a message for FailedMount; resolves
   * with what it could not apply (each a SecurityContextNotEnforced event).
   */
  setUp(pod: Pod): Promise<string[]>;
  tearDown(podUid: string): Promise<void>;
}

export interface SyncDeps {
  runtime: RuntimeDriver;
  config: PodConfig;
  volumes: PodVolumes;
  events: PodEvents;
  probes: ProbeManager;
  restartBackoff: RestartBackoff;
  pullBackoff: RestartBackoff;
  terminationMessages?: TerminationMessages;
  clock: Clock;
  hostIP: string;
  clusterDNS?: ClusterDnsSettings;
  runHook(
    record: PodRecord,
    containerId: string,
    container: Container,
    hook: 'postStart' | 'preStop',
    deadlineMs?: number,
  ): Promise<string | undefined>;
}

export interface SyncResult {
  requeueAfterMs?: number;
}

const VOLUME_RETRY_MS = 2_000;
const SANDBOX_RETRY_MS = 5_000;
const CONFIG_RETRY_MS = 10_000;

export class PodSyncer {
  readonly #deps: SyncDeps;

  constructor(deps: SyncDeps) {
    this.#deps = deps;
  }

  /** Brings a live pod one step closer to its spec. */
  async sync(record: PodRecord): Promise<SyncResult> {
    const { pod } = record;
    const deps = this.#deps;
    let requeue: number | undefined;
    const later = (ms: number) => (requeue = requeue === undefined ? ms : Math.min(requeue, ms));

    const deadline = pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && deadline !== null) {
      const left = Date.parse(record.startTime) + deadline * 1000 - deps.clock.now();
      if (left <= 0) {
        const message = 'Pod was active on the node longer than the specified deadline';
        record.failure = { reason: 'DeadlineExceeded', message };
        deps.events.warning(pod, 'DeadlineExceeded', message);
        await this.stopAll(record, gracePeriodSeconds(pod));
        return {};
      }
      later(left);
    }

    try {
      const unapplied = await deps.volumes.setUp(pod);
      for (const message of unapplied) {
        deps.events.warning(pod, 'SecurityContextNotEnforced', message);
      }
      record.volumesReady = true;
    } catch (err) {
      deps.events.warning(pod, 'FailedMount', err instanceof Error ? err.message : String(err));
      if (!record.volumesReady) return { requeueAfterMs: VOLUME_RETRY_MS };
    }

    if (!record.sandbox || record.sandbox.state !== 'ready') {
      if (record.sandbox) {
        deps.events.normal(
          pod,
          'SandboxChanged',
          'Pod sandbox changed, it will be killed and re-created.',
        );
        await this.stopAll(record, 0);
        await deps.runtime.removeSandbox(record.sandbox.id);
        record.sandbox = undefined;
      }
      beginImageChecks(deps.runtime, record);
      try {
        record.sandbox = await deps.runtime.runSandbox({
          podUid: record.uid,
          podName: pod.metadata!.name!,
          namespace: pod.metadata!.namespace!,
          ...namesOf(pod, deps.clusterDNS),
          hostNetwork: pod.spec?.hostNetwork ?? false,
          ...dnsOf(pod, deps.clusterDNS),
          ports: (pod.spec?.containers ?? []).flatMap((c) =>
            (c.ports ?? [])
              .filter((p) => p.hostPort)
              .map((p) => ({
                containerPort: p.containerPort,
                hostPort: p.hostPort,
                protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP',
                ...(p.hostIP ? { hostIP: p.hostIP } : {}),
              })),
          ),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        deps.events.warning(
          pod,
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: ${message}`,
        );
        return { requeueAfterMs: SANDBOX_RETRY_MS };
      }
    }

    // As the kubelet's computePodActions: an ephemeral container starts once, also while
    // init containers still run (to debug them), and is never restarted.
    for (const ephemeral of pod.spec?.ephemeralContainers ?? []) {
      await this.#syncContainer(record, ephemeral as Container, 'Never', later, true);
    }

    if (!record.initDone) {
      const initDone = await this.#syncInitContainers(record, later);
      if (!initDone) return requeue === undefined ? {} : { requeueAfterMs: requeue };
      record.initDone = true;
    }
    for (const container of pod.spec?.containers ?? []) {
      await this.#syncContainer(record, container, pod.spec?.restartPolicy ?? 'Always', later);
    }
    return requeue === undefined ? {} : { requeueAfterMs: requeue };
  }

  /** Init containers in order; true once every one of them has done its part. */
  async #syncInitContainers(record: PodRecord, later: (ms: number) => void): Promise<boolean> {
    const policy = record.pod.spec?.restartPolicy ?? 'Always';
    for (const container of record.pod.spec?.initContainers ?? []) {
      const sidecar = container.restartPolicy === 'Always';
      const current = latest(record, container.name);
      if (sidecar) {
        await this.#syncContainer(record, container, 'Always', later);
        const now = latest(record, container.name);
        if (now?.state === 'running' && this.#deps.probes.state(now.id).started) continue;
        return false;
      }
      if (current?.state === 'exited' && current.exitCode === 0) continue;
      if (current?.state === 'exited' && policy === 'Never') return false;
      await this.#syncContainer(
        record,
        container,
        policy === 'Never' ? 'Never' : 'OnFailure',
        later,
      );
      return false;
    }
    return true;
  }

  async #syncContainer(
    record: PodRecord,
    container: Container,
    policy: string,
    later: (ms: number) => void,
    ephemeral = false,
  ): Promise<void> {
    const deps = this.#deps;
    const { pod } = record;
    const name = container.name;
    let current = latest(record, name);

    if (current?.state === 'running') {
      // An ephemeral container cannot be changed, has no probes and is never restarted.
      if (ephemeral) return;
      const probe = deps.probes.state(current.id);
      if (current.hash !== containerHash(container)) {
        deps.events.normal(
          pod,
          'Killing',
          `Container ${name} definition changed, will be restarted`,
          name,
        );
        current = await this.#kill(record, current, container, gracePeriodSeconds(pod));
      } else if (probe.failed) {
        deps.events.normal(
          pod,
          'Killing',
          `Container ${name} failed ${probe.failed.kind} probe, will be restarted`,
          name,
        );
        current = await this.#kill(
          record,
          current,
          container,
          pod.spec?.terminationGracePeriodSeconds ?? 30,
        );
      } else {
        deps.probes.ensure(record.uid, container, current.id, this.#podIP(record));
        return;
      }
    }

    if (current && current.state !== 'running') {
      const failed = current.state !== 'exited' || current.exitCode !== 0;
      const restart = policy === 'Always' || (policy === 'OnFailure' && failed);
      if (!restart) return;
      const finished = (current.finishedAt ?? current.createdAt).getTime();
      const waitMs = deps.restartBackoff.remainingMs(`${record.uid}/${name}`, finished);
      if (waitMs > 0) {
        const delay = Math.round(
          deps.restartBackoff.currentDelayMs(`${record.uid}/${name}`) / 1000,
        );
        record.waiting.set(name, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${formatDelay(delay)} restarting failed container=${name} pod=${podLabel(pod)}`,
        });
        deps.events.warning(
          pod,
          'BackOff',
          `Back-off restarting failed container ${name} in pod ${podLabel(pod)}`,
          name,
        );
        later(waitMs);
        return;
      }
    }

    const waiting = record.waiting.get(name);
    if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') {
      const waitMs = deps.pullBackoff.remainingMs(`${record.uid}/${name}/pull`, deps.clock.now());
      if (waitMs > 0) {
        const message = `Back-off pulling image "${container.image}"`;
        record.waiting.set(name, { reason: 'ImagePullBackOff', message });
        deps.events.normal(pod, 'BackOff', message, name);
        later(waitMs);
        return;
      }
    }
    await startContainer(
      {
        ...deps,
        podIPs: (r) => [this.#podIP(r)],
        runHook: (r, id, c) => deps.runHook(r, id, c, 'postStart'),
      },
      record,
      container,
    );
    const reason = record.waiting.get(name)?.reason;
    if (reason === 'CreateContainerConfigError' || reason === 'CreateContainerError')
      later(CONFIG_RETRY_MS);
    if (reason === 'ErrImagePull')
      later(deps.pullBackoff.currentDelayMs(`${record.uid}/${name}/pull`));
    const started = latest(record, name);
    if (started?.state === 'running' && !ephemeral)
      deps.probes.ensure(record.uid, container, started.id, this.#podIP(record));
    else if (started?.state === 'exited' && started.reason === 'StartError') later(0);
  }

  /** preStop (within the grace period), then SIGTERM and SIGKILL. Returns the exited status. */
  async #kill(
    record: PodRecord,
    current: ContainerStatus,
    container: Container | undefined,
    grace: number,
  ): Promise<ContainerStatus> {
    const deps = this.#deps;
    const started = deps.clock.now();
    deps.events.normal(record.pod, 'Killing', `Stopping container ${current.name}`, current.name);
    if (container?.lifecycle?.preStop && grace > 0) {
      const failure = await deps.runHook(record, current.id, container, 'preStop', grace * 1000);
      if (failure !== undefined)
        deps.events.warning(record.pod, 'FailedPreStopHook', failure, current.name);
    }
    const left = Math.max(0, grace - Math.floor((deps.clock.now() - started) / 1000));
    await deps.runtime.stopContainer(current.id, left);
    const status = await deps.runtime.inspectContainer(current.id).catch(() => ({
      ...current,
      state: 'exited' as const,
      exitCode: 137,
      reason: 'Error',
      finishedAt: new Date(),
    }));
    noteContainer(record, status);
    return status;
  }

  /** Stops every running container of the pod (in parallel, each with its preStop hook). */
  async stopAll(record: PodRecord, grace: number): Promise<void> {
    const specs = [
      ...(record.pod.spec?.containers ?? []),
      ...(record.pod.spec?.initContainers ?? []),
      ...((record.pod.spec?.ephemeralContainers ?? []) as Container[]),
    ];
    const running = [...record.containers.values()]
      .flat()
      .filter((c) => c.state === 'running' || c.state === 'created');
    await Promise.all(
      running.map((c) =>
        this.#kill(
          record,
          c,
          specs.find((s) => s.name === c.name),
          grace,
        ),
      ),
    );
    if (record.sandbox) await this.#deps.runtime.stopSandbox(record.sandbox.id);
    record.stopped = true;
  }

  /** Removes everything of the pod from the runtime and the node. Idempotent. */
  async cleanUp(record: PodRecord): Promise<void> {
    const deps = this.#deps;
    for (const c of [...record.containers.values()].flat()) {
      await deps.runtime.stopContainer(c.id, 0);
      await deps.runtime.removeContainer(c.id);
    }
    record.containers.clear();
    if (record.sandbox) await deps.runtime.removeSandbox(record.sandbox.id);
    record.sandbox = undefined;
    await deps.volumes.tearDown(record.uid);
    deps.restartBackoff.forget(`${record.uid}/`);
    deps.pullBackoff.forget(`${record.uid}/`);
  }

  #podIP(record: PodRecord): string {
    if (record.pod.spec?.hostNetwork || !record.sandbox?.ips.length) return this.#deps.hostIP;
    return record.sandbox.ips[0]!;
  }
}

function formatDelay(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s ? `${m}m${s}s` : `${m}m0s`;
}

function dnsOf(pod: Pod, cluster: ClusterDnsSettings | undefined): { dns?: DnsConfig } {
  const dns = podDnsConfig(pod, cluster);
  return dns ? { dns } : {};
}

/**
 * The kubelet's GeneratePodHostNameAndDomain: `spec.hostname` or the pod's name, cut to
 * 63 characters without a trailing '-' or '.'; with a subdomain, the domain
 * `<subdomain>.<namespace>.svc.<cluster domain>`. And the pod's hostAliases.
 */
function namesOf(
  pod: Pod,
  cluster: ClusterDnsSettings | undefined,
): Pick<SandboxSpec, 'hostname' | 'hostDomain' | 'hostAliases'> {
  let hostname = pod.spec?.hostname || pod.metadata!.name!;
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const subdomain = pod.spec?.subdomain;
  const domain = cluster?.domain ?? 'cluster.local';
  const aliases = (pod.spec?.hostAliases ?? [])
    .filter((a) => a.ip)
    .map((a) => ({ ip: a.ip!, hostnames: a.hostnames ?? [] }));
  return {
    hostname,
    ...(subdomain ? { hostDomain: `${subdomain}.${pod.metadata!.namespace}.svc.${domain}` } : {}),
    ...(aliases.length ? { hostAliases: aliases } : {}),
  };
}
