import { rfc3339 } from '../../api/index.ts';
import type { ContainerStatus } from '../runtime/types.ts';
import type { Container, ContainerStatusV1, Pod, PodCondition, PodStatus } from '../k8s-types.ts';

// The status the kubelet would report for a pod, computed from what the runtime says runs
// and what the agent decided (waiting reasons, probe results). Pure: no I/O, no clock of
// its own; the phase and condition rules follow kubelet's getPhase and status generation.

export interface ContainerView {
  /** Runtime containers of this name, newest attempt first. */
  instances: ContainerStatus[];
  /** Why it is not running now, when the agent knows (CrashLoopBackOff, ErrImagePull, …). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
}

export interface PodView {
  runtimeName: string;
  sandboxReady: boolean;
  podIPs: string[];
  hostIP: string;
  startTime: string;
  initDone: boolean;
  containers: Map<string, ContainerView>;
  /** A pod the agent failed for good (activeDeadlineSeconds, eviction). */
  failure?: { reason: string; message: string };
  /** The pod was deleted and everything of it stopped: its phase becomes terminal. */
  terminated?: boolean;
  now: string;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

const isSidecar = (c: Container) => c.restartPolicy === 'Always';

function terminated(c: ContainerStatus, runtime: string) {
  return {
    exitCode: c.exitCode ?? 0,
    reason: c.reason ?? (c.exitCode === 0 ? 'Completed' : 'Error'),
    ...(c.message ? { message: c.message } : {}),
    startedAt: rfc3339(c.startedAt ?? c.createdAt),
    finishedAt: rfc3339(c.finishedAt ?? c.createdAt),
    containerID: `${runtime}://${c.id}`,
  };
}

export function containerStatus(
  spec: Container,
  view: ContainerView | undefined,
  runtime: string,
  notStartedReason: string,
): ContainerStatusV1 {
  const [latest, previous] = view?.instances ?? [];
  const status: ContainerStatusV1 = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: latest?.imageRef ?? '',
    ready: view?.ready ?? false,
    started: view?.started ?? false,
    restartCount: latest?.attempt ?? 0,
    state: {},
    lastState: {},
  };
  if (latest) status.containerID = `${runtime}://${latest.id}`;
  if (view?.waiting) {
    status.state = { waiting: { ...view.waiting } };
    if (latest?.state === 'exited') status.lastState = { terminated: terminated(latest, runtime) };
    else if (previous) status.lastState = { terminated: terminated(previous, runtime) };
    return status;
  }
  if (!latest || latest.state === 'created') {
    status.state = { waiting: { reason: notStartedReason } };
  } else if (latest.state === 'running') {
    status.state = { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } };
  } else {
    status.state = { terminated: terminated(latest, runtime) };
  }
  if (previous) status.lastState = { terminated: terminated(previous, runtime) };
  return status;
}

function phaseOf(
  pod: Pod,
  view: PodView,
  apps: ContainerStatusV1[],
  inits: ContainerStatusV1[],
): Phase {
  if (view.failure) return 'Failed';
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (!view.initDone) {
    const failedInit = inits.some(
      (s, i) =>
        !isSidecar(pod.spec!.initContainers![i]!) &&
        ((s.state?.terminated && s.state.terminated.exitCode !== 0) ||
          (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0)),
    );
    return failedInit && policy === 'Never' ? 'Failed' : 'Pending';
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of apps) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) {
      stopped++;
      if (s.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (view.terminated) return succeeded === apps.length && apps.length > 0 ? 'Succeeded' : 'Failed';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(
  old: PodCondition[] | undefined,
  type: string,
  ok: boolean,
  now: string,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const previous = old?.find((c) => c.type === type);
  const c: PodCondition = {
    type,
    status,
    lastProbeTime: null as unknown as undefined,
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime
        ? previous.lastTransitionTime
        : now,
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function podStatus(pod: Pod, view: PodView): PodStatus {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const inits = (spec.initContainers ?? []).map((c) =>
    containerStatus(c, view.containers.get(c.name), view.runtimeName, 'PodInitializing'),
  );
  const appReason = view.initDone ? 'ContainerCreating' : 'PodInitializing';
  const apps = spec.containers.map((c) =>
    containerStatus(c, view.containers.get(c.name), view.runtimeName, appReason),
  );
  const phase = phaseOf(pod, view, apps, inits);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const unready = apps.filter((s) => !s.ready).map((s) => s.name);
  const uninitialized = inits.filter(
    (s) => !s.state?.terminated || s.state.terminated.exitCode !== 0,
  );
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = terminal
    ? undefined
    : `containers with unready status: [${unready.join(' ')}]`;
  const conditions: PodCondition[] = [
    condition(old.conditions, 'PodReadyToStartContainers', view.sandboxReady, view.now),
    condition(
      old.conditions,
      'Initialized',
      view.initDone,
      view.now,
      'ContainersNotInitialized',
      `containers with incomplete status: [${uninitialized.map((s) => s.name).join(' ')}]`,
    ),
    condition(
      old.conditions,
      'Ready',
      !terminal && unready.length === 0,
      view.now,
      readyReason,
      readyMessage,
    ),
    condition(
      old.conditions,
      'ContainersReady',
      !terminal && unready.length === 0,
      view.now,
      readyReason,
      readyMessage,
    ),
  ];
  // As the kubelet: a pod on a node is scheduled, also when it named its node itself.
  const scheduled = old.conditions?.find((c) => c.type === 'PodScheduled');
  conditions.push(
    scheduled?.status === 'True'
      ? scheduled
      : {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null as unknown as undefined,
          lastTransitionTime: view.now,
        },
  );
  const status: PodStatus = {
    ...old,
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: old.startTime ?? view.startTime,
    containerStatuses: apps,
  };
  if (inits.length > 0) status.initContainerStatuses = inits;
  else delete status.initContainerStatuses;
  // As the kubelet reports them: no readiness and no `started` (the prober never sees
  // them), and they count for neither the phase nor the conditions.
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => {
    const s = containerStatus(
      c as Container,
      view.containers.get(c.name),
      view.runtimeName,
      inits.length > 0 ? 'PodInitializing' : 'ContainerCreating',
    );
    delete s.started;
    return { ...s, ready: false };
  });
  if (ephemeral.length > 0) status.ephemeralContainerStatuses = ephemeral;
  else delete status.ephemeralContainerStatuses;
  // A sandbox without a network of its own (the process runtime without root) shares the
  // node's, as a hostNetwork pod does: its address is the node's, or no endpoint has one.
  const sharesHost = spec.hostNetwork || (view.sandboxReady && view.podIPs.length === 0);
  const ips = sharesHost ? [view.hostIP] : view.podIPs;
  if (ips.length > 0) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  }
  if (view.failure) {
    status.reason = view.failure.reason;
    status.message = view.failure.message;
  }
  return status;
}
