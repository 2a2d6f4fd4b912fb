import type { KubeObject } from '../../api/index.ts';
import type { Backend } from '../../store/index.ts';
import { StatusError } from '../errors.ts';
import { decodeObject } from './codec.ts';
import type { WatchCache } from './watch-cache.ts';

// Kubernetes' Priority admission for new pods: `priorityClassName` resolves to the
// PriorityClass's value in `spec.priority` (and its preemptionPolicy); a pod without a
// class gets the globalDefault class, if one exists. Classes come from the watch cache, as
// the admission plugin reads its informer; a named class the cache has not heard of yet
// is looked up in the store, so a class created a moment ago is found.

const PREFIX = '/registry/scheduling.k8s.io/priorityclasses/';
const SYSTEM_CLASSES: Record<string, number> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

interface PodSpec {
  priorityClassName?: string;
  priority?: number;
  preemptionPolicy?: string;
}

function forbidden(pod: KubeObject, message: string): StatusError {
  const name = pod.metadata?.name ?? pod.metadata?.generateName ?? '';
  return new StatusError('Forbidden', `pods "${name}" is forbidden: ${message}`, {
    name,
    kind: 'pods',
  });
}

type PriorityClass = KubeObject & {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
};

export async function admitPodPriority(
  store: Backend,
  cache: WatchCache,
  pod: KubeObject,
): Promise<void> {
  const spec = (pod.spec ??= {}) as PodSpec;
  let className = spec.priorityClassName ?? '';
  let value: number | undefined;
  let policy: string | undefined;
  if (className in SYSTEM_CLASSES) {
    value = SYSTEM_CLASSES[className];
  } else if (className) {
    const key = `${PREFIX}${className}`;
    const cached = cache.get(key) as PriorityClass | undefined;
    const kv = cached ? undefined : await store.get(key);
    if (!cached && !kv) throw forbidden(pod, `no PriorityClass with name ${className} was found`);
    const pc = cached ?? (decodeObject(kv!) as PriorityClass);
    value = pc.value ?? 0;
    policy = pc.preemptionPolicy;
  } else {
    const fallback = (cache.list(PREFIX).objects as PriorityClass[])
      .filter((pc) => pc.globalDefault)
      .sort((a, b) => (a.value ?? 0) - (b.value ?? 0))[0];
    if (!fallback) return;
    className = fallback.metadata?.name ?? '';
    value = fallback.value ?? 0;
    policy = fallback.preemptionPolicy;
    spec.priorityClassName = className;
  }
  if (spec.priority !== undefined && spec.priority !== value) {
    throw forbidden(
      pod,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  if (policy && spec.preemptionPolicy === undefined) spec.preemptionPolicy = policy;
}
