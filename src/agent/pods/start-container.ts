import { milliValue, quantityValue, tryParseQuantity } from '../../api/index.ts';
import { defaultPullPolicy } from '../../api/defaults/index.ts';
import type { Container, EphemeralContainer, Pod } from '../k8s-types.ts';
import { expand, mappingFor } from '../pod-config/index.ts';
import {
  isRuntimeError,
  type ContainerSecurity,
  type ContainerSpec,
  type ImagePullPolicy,
  type RuntimeDriver,
  type UnenforcedSecurity,
} from '../runtime/types.ts';
import type { RestartBackoff } from './backoff.ts';
import { containerHash, latest, noteContainer, type PodRecord } from './pod-record.ts';
import type { TerminationMessages } from './termination-message.ts';

// Starting one container the way the kubelet's startContainer does: pull (or find) the
// image, resolve its environment and mounts, create, start, run the postStart hook. Every
// failure becomes the waiting reason Kubernetes users know (ErrImagePull, ImagePullBackOff,
// CreateContainerConfigError, …) plus an event; nothing is thrown for the user's mistakes.

export interface PodConfig {
  /** The container's resolved environment. Throws a ConfigError (CreateContainerConfigError). */
  environment(
    pod: Pod,
    container: Container,
    podIPs: string[],
  ): Promise<Array<{ name: string; value: string }>>;
  /** Its securityContext merged with the pod's; throws when a seccomp profile cannot be read. */
  security(pod: Pod, container: Container): Promise<ContainerSecurity>;
  /** Host paths for the container's volumeMounts (volumes were set up before). */
  mounts(
    pod: Pod,
    container: Container,
    env: Array<{ name: string; value: string }>,
  ): Promise<ContainerSpec['mounts']>;
}

export interface PodEvents {
  normal(pod: Pod, reason: string, message: string, container?: string): void;
  warning(pod: Pod, reason: string, message: string, container?: string): void;
}

export interface StartDeps {
  runtime: RuntimeDriver;
  config: PodConfig;
  events: PodEvents;
  pullBackoff: RestartBackoff;
  /** Where containers' termination messages are kept; none are without it. */
  terminationMessages?: TerminationMessages;
  podIPs(record: PodRecord): string[];
  runHook(
    record: PodRecord,
    containerId: string,
    container: Container,
    hook: 'postStart',
  ): Promise<string | undefined>;
}

function cpuMillis(q: string | undefined): number | undefined {
  const parsed = tryParseQuantity(q);
  return parsed ? Number(milliValue(parsed)) : undefined;
}

function bytes(q: string | undefined): number | undefined {
  const parsed = tryParseQuantity(q);
  return parsed ? Number(quantityValue(parsed)) : undefined;
}

/**
 * The securityContext fields a container sets beyond Kubernetes' defaults that `ignored`
 * (a runtime's unenforced settings) covers, by their names in the pod spec.
 */
function unappliedFields(security: ContainerSecurity, ignored: UnenforcedSecurity[]): string[] {
  const set: Array<[UnenforcedSecurity, string, boolean]> = [
    ['privileged', 'privileged', security.privileged],
    ['capabilities', 'capabilities', security.capAdd.length + security.capDrop.length > 0],
    ['readOnlyRootFilesystem', 'readOnlyRootFilesystem', security.readOnlyRootFilesystem],
    ['seccompProfile', 'seccompProfile', security.seccomp.type !== 'Unconfined'],
    ['identity', 'runAsUser', security.runAsUser !== undefined],
    ['identity', 'runAsGroup', security.runAsGroup !== undefined],
    ['identity', 'supplementalGroups', security.supplementalGroups.length > 0],
    ['identity', 'allowPrivilegeEscalation', security.noNewPrivileges],
  ];
  return set.filter(([kind, , asked]) => asked && ignored.includes(kind)).map(([, f]) => f);
}

/** The container's imagePullPolicy; the API server has set it, else its default. */
function pullPolicyOf(container: Container): ImagePullPolicy {
  return (container.imagePullPolicy ?? defaultPullPolicy(container.image ?? '')) as ImagePullPolicy;
}

/**
 * While a new sandbox is made, the runtime can already say whether the images that need
 * no pull are there (IfNotPresent, Never): the containers that start right after it do
 * so without that wait. Those are the first init container when there are any (the
 * others wait for it, and an answer kept that long could be out of date), else the app
 * containers. Pulls (Always) stay where they are, after the sandbox, as the kubelet
 * orders them.
 */
export function beginImageChecks(runtime: RuntimeDriver, record: PodRecord): void {
  const checks = new Map<string, Promise<string>>();
  const spec = record.pod.spec;
  const first = spec?.initContainers?.length ? [spec.initContainers[0]!] : (spec?.containers ?? []);
  for (const c of first) {
    const policy = pullPolicyOf(c);
    const key = `${policy} ${c.image ?? ''}`;
    if (policy === 'Always' || checks.has(key)) continue;
    const check = runtime.ensureImage(c.image ?? '', policy);
    check.catch(() => {}); // answered where the container starts
    checks.set(key, check);
  }
  record.imageChecks = checks;
}

/** Starts `container` of the record's pod; returns when it runs or its waiting reason is set. */
export async function startContainer(
  deps: StartDeps,
  record: PodRecord,
  container: Container,
): Promise<void> {
  const { pod } = record;
  const name = container.name;
  const image = container.image ?? '';
  const policy = pullPolicyOf(container);
  const pullKey = `${record.uid}/${name}/pull`;
  const waiting = (reason: string, message?: string) =>
    record.waiting.set(name, { reason, ...(message ? { message } : {}) });

  // The process runtime records an image and never pulls one: its events say so.
  const caps = deps.runtime.capabilities();
  const pulls = caps.runsImages;
  let imageRef: string;
  try {
    if (policy === 'Always' && pulls) {
      deps.events.normal(pod, 'Pulling', `Pulling image "${image}"`, name);
    }
    const started = Date.now();
    const checkKey = `${policy} ${image}`;
    const checked = record.imageChecks?.get(checkKey);
    record.imageChecks?.delete(checkKey);
    imageRef = await (checked ?? deps.runtime.ensureImage(image, policy));
    deps.pullBackoff.forget(pullKey);
    deps.events.normal(
      pod,
      'Pulled',
      !pulls
        ? `Container image "${image}" is recorded, not pulled: the ${deps.runtime.name} runtime runs the command on the host`
        : policy === 'Always'
          ? `Successfully pulled image "${image}" in ${((Date.now() - started) / 1000).toFixed(3)}s`
          : `Container image "${image}" already present on machine`,
      name,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isRuntimeError(err, 'ImageNeverPull')) {
      waiting('ErrImageNeverPull', message);
      deps.events.warning(pod, 'ErrImageNeverPull', message, name);
    } else if (isRuntimeError(err, 'InvalidImageName')) {
      waiting('InvalidImageName', message);
      deps.events.warning(pod, 'InspectFailed', message, name);
    } else {
      waiting('ErrImagePull', message);
      deps.events.warning(pod, 'Failed', `Failed to pull image "${image}": ${message}`, name);
      deps.events.warning(pod, 'Failed', 'Error: ErrImagePull', name);
      deps.pullBackoff.remainingMs(pullKey, Date.now());
    }
    return;
  }

  let env: Array<{ name: string; value: string }>;
  let mounts: ContainerSpec['mounts'];
  try {
    env = await deps.config.environment(pod, container, deps.podIPs(record));
    mounts = await deps.config.mounts(pod, container, env);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    waiting('CreateContainerConfigError', message);
    deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
    return;
  }

  const tokenMount = unmountableToken(container, mounts, caps.mounts);
  if (tokenMount) mounts = mounts.filter((m) => m !== tokenMount);

  let security: ContainerSecurity;
  try {
    security = await deps.config.security(pod, container);
  } catch (err) {
    // As containerd fails a create whose profile it cannot load.
    const message = err instanceof Error ? err.message : String(err);
    waiting('CreateContainerError', message);
    deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
    return;
  }

  let processNamespace: ContainerSpec['processNamespace'];
  try {
    processNamespace = processNamespaceOf(record, container);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    waiting('CreateContainerConfigError', message);
    deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
    return;
  }

  const previous = latest(record, name);
  const attempt = previous ? previous.attempt + 1 : 0;
  const messagePath = container.terminationMessagePath;
  if (
    deps.terminationMessages &&
    messagePath &&
    caps.mounts &&
    !mounts.some((m) => m.containerPath === messagePath)
  ) {
    try {
      const file = deps.terminationMessages.prepare(record.uid, name, attempt);
      mounts = [...mounts, { hostPath: file, containerPath: messagePath, readOnly: false }];
    } catch (err) {
      const message = `cannot make the termination message file of ${name}: ${(err as Error).message}`;
      waiting('CreateContainerError', message);
      deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
      return;
    }
  }
  const vars = mappingFor(new Map(env.map((e) => [e.name, e.value])));
  const spec: ContainerSpec = {
    podUid: record.uid,
    podName: pod.metadata!.name!,
    namespace: pod.metadata!.namespace!,
    name,
    attempt,
    hash: containerHash(container),
    image,
    // The kubelet expands $(VAR) in command and args from the container's environment.
    command: (container.command ?? []).map((a) => expand(a, vars)),
    args: (container.args ?? []).map((a) => expand(a, vars)),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env,
    mounts,
    tty: container.tty ?? false,
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    resources: {
      cpuRequestMillis: cpuMillis(container.resources?.requests?.cpu),
      cpuLimitMillis: cpuMillis(container.resources?.limits?.cpu),
      memoryRequestBytes: bytes(container.resources?.requests?.memory),
      memoryLimitBytes: bytes(container.resources?.limits?.memory),
    },
    security,
    ...(processNamespace ? { processNamespace } : {}),
    ...(pod.spec?.hostIPC ? { hostIPC: true } : {}),
  };
  let id: string;
  try {
    id = await deps.runtime.createContainer(record.sandbox!.id, spec);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const config = isRuntimeError(err, 'CreateContainerConfig');
    waiting(config ? 'CreateContainerConfigError' : 'CreateContainerError', message);
    deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
    return;
  }
  record.waiting.delete(name);
  deps.events.normal(pod, 'Created', `Created container: ${name}`, name);
  const ignored = unappliedFields(security, caps.unenforcedSecurity);
  if (ignored.length > 0) {
    deps.events.warning(
      pod,
      'SecurityContextNotEnforced',
      `the securityContext settings ${ignored.join(', ')} of container ${name} are not enforced by the ${deps.runtime.name} runtime`,
      name,
    );
  }
  if (tokenMount) {
    const why = caps.notes.length ? ` (${caps.notes.join('; ')})` : '';
    deps.events.warning(
      pod,
      'ServiceAccountTokenNotMounted',
      `the service account token of container ${name} is not at ${SERVICE_ACCOUNT_DIR}: the ${deps.runtime.name} runtime cannot mount volumes on this node${why}; the token, ca.crt and namespace are in ${tokenMount.hostPath}`,
      name,
    );
  }
  if (!caps.enforcesLimits && (spec.resources.cpuLimitMillis || spec.resources.memoryLimitBytes)) {
    const why = caps.notes.length ? `: ${caps.notes.join('; ')}` : '';
    deps.events.warning(
      pod,
      'LimitsNotEnforced',
      `the cpu and memory limits of container ${name} are not enforced on this node${why}`,
      name,
    );
  }
  try {
    await deps.runtime.startContainer(id);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // As with containerd: the container exists and counts as a run that failed to start.
    const created = await deps.runtime.inspectContainer(id).catch(() => undefined);
    const now = new Date();
    noteContainer(record, {
      ...(created ?? {
        id,
        sandboxId: record.sandbox!.id,
        podUid: record.uid,
        podName: spec.podName,
        namespace: spec.namespace,
        name,
        attempt: spec.attempt,
        hash: spec.hash,
        image,
        imageRef,
        createdAt: now,
      }),
      state: 'exited',
      exitCode: 128,
      reason: 'StartError',
      message,
      startedAt: now,
      finishedAt: now,
    });
    deps.events.warning(pod, 'Failed', `Error: ${message}`, name);
    return;
  }
  noteContainer(record, await deps.runtime.inspectContainer(id));
  deps.events.normal(pod, 'Started', `Started container ${name}`, name);
  if (container.lifecycle?.postStart) {
    const failure = await deps.runHook(record, id, container, 'postStart');
    if (failure !== undefined) {
      deps.events.warning(pod, 'FailedPostStartHook', failure, name);
      await deps.runtime.stopContainer(id, pod.spec?.terminationGracePeriodSeconds ?? 30);
      noteContainer(record, await deps.runtime.inspectContainer(id));
    }
  }
}

/**
 * The process namespace the container joins: the host's with `hostPID`, an ephemeral
 * container's target's (the kubelet's getTargetID: the target must have a container, else
 * the start fails with CreateContainerConfigError), or the pod's with
 * `shareProcessNamespace`.
 */
function processNamespaceOf(
  record: PodRecord,
  container: Container,
): ContainerSpec['processNamespace'] {
  if (record.pod.spec?.hostPID) return { host: true };
  const target = (container as EphemeralContainer).targetContainerName;
  if (target) {
    const status = latest(record, target);
    if (!status) throw new Error(`unable to find target container ${target}`);
    return { containerId: status.id };
  }
  return record.pod.spec?.shareProcessNamespace ? { pod: true } : undefined;
}

/** Where the ServiceAccount admission mounts a pod's token, CA and namespace. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The mount of the admission's token volume (`kube-api-access-*`) when the runtime cannot
 * place mounts (the process runtime without root): the container then runs without it,
 * and an event says so, instead of every pod failing for a mount its user never wrote.
 */
function unmountableToken(
  container: { volumeMounts?: { name: string; mountPath: string }[] },
  mounts: ContainerSpec['mounts'],
  canMount: boolean,
): ContainerSpec['mounts'][number] | undefined {
  if (canMount) return undefined;
  const fromAdmission = (container.volumeMounts ?? []).some(
    (m) => m.mountPath === SERVICE_ACCOUNT_DIR && m.name.startsWith('kube-api-access-'),
  );
  return fromAdmission ? mounts.find((m) => m.containerPath === SERVICE_ACCOUNT_DIR) : undefined;
}
