import type { KubeObject } from '../../api/index.ts';
import { milliValue, quantityValue, tryParseQuantity } from '../../api/index.ts';
import type { CpuMemory, PodInfo, Resources } from './types.ts';

// Resource arithmetic as kube-scheduler does it: a pod's effective request is the larger
// of its biggest init container and the sum of its app containers (sidecar init containers,
// restartPolicy Always, count towards the sum), plus pod overhead; every pod counts one
// against the node's `pods` allocatable.

type ResourceList = Record<string, unknown> | undefined;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} };
}

// parseQuantity remembers the strings it has parsed: the few that pods use ('100m',
// '128Mi') are read again at every turn (arrival, assumption, confirmed binding) for free.

/** A quantity in thousandths (cpu in millicores); 0 when it does not parse. */
function milli(v: unknown): number {
  const q = tryParseQuantity(v);
  return q ? Number(milliValue(q)) : 0;
}

/** A quantity as a whole number, rounded away from zero; 0 when it does not parse. */
function whole(v: unknown): number {
  const q = tryParseQuantity(v);
  return q ? Number(quantityValue(q)) : 0;
}

export function fromResourceList(list: ResourceList): Resources {
  const r = emptyResources();
  for (const [name, value] of Object.entries(list ?? {})) {
    if (name === 'cpu') r.milliCPU = milli(value);
    else if (name === 'memory') r.memory = whole(value);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = whole(value);
    else if (name === 'pods') r.pods = whole(value);
    else r.scalar[name] = whole(value);
  }
  return r;
}

export function addResources(a: Resources, b: Resources): Resources {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) + v;
  return {
    milliCPU: a.milliCPU + b.milliCPU,
    memory: a.memory + b.memory,
    ephemeralStorage: a.ephemeralStorage + b.ephemeralStorage,
    pods: a.pods + b.pods,
    scalar,
  };
}

export function subtractResources(a: Resources, b: Resources): Resources {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) - v;
  return {
    milliCPU: a.milliCPU - b.milliCPU,
    memory: a.memory - b.memory,
    ephemeralStorage: a.ephemeralStorage - b.ephemeralStorage,
    pods: a.pods - b.pods,
    scalar,
  };
}

function maxResources(a: Resources, b: Resources): Resources {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = Math.max(scalar[k] ?? 0, v);
  return {
    milliCPU: Math.max(a.milliCPU, b.milliCPU),
    memory: Math.max(a.memory, b.memory),
    ephemeralStorage: Math.max(a.ephemeralStorage, b.ephemeralStorage),
    pods: Math.max(a.pods, b.pods),
    scalar,
  };
}

interface Container {
  resources?: { requests?: ResourceList; limits?: ResourceList };
  restartPolicy?: string;
}

/** Requests default to limits when only limits are set, as the API server defaults them. */
function containerRequests(c: Container): Resources {
  return fromResourceList({ ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) });
}

/** The pod's effective requests, plus one pod. */
export function podRequests(pod: KubeObject): Resources {
  const spec = (pod.spec ?? {}) as {
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
  };
  let sum = emptyResources();
  for (const c of spec.containers ?? []) sum = addResources(sum, containerRequests(c));
  // Init containers run one after another; sidecars (restartPolicy Always) keep running
  // and add to everything that starts after them.
  let initMax = emptyResources();
  let sidecars = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      sidecars = addResources(sidecars, r);
      initMax = maxResources(initMax, sidecars);
    } else {
      initMax = maxResources(initMax, addResources(r, sidecars));
    }
  }
  let total = maxResources(addResources(sum, sidecars), initMax);
  if (spec.overhead) total = addResources(total, fromResourceList(spec.overhead));
  total.pods = 1;
  return total;
}

/** What the node offers pods: status.allocatable, or capacity when allocatable is unset. */
export function nodeAllocatable(node: KubeObject): Resources {
  const status = (node.status ?? {}) as { allocatable?: ResourceList; capacity?: ResourceList };
  return fromResourceList(status.allocatable ?? status.capacity);
}

// The requests kube-scheduler *scores* with (never filters with): a container that names
// no cpu or memory request counts as asking for 100m cpu and 200Mi memory
// (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest), so that pods without
// requests still spread out. Aggregated like podRequests: app containers and sidecars
// summed, then the max with each init container, plus overhead (not defaulted).

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function requestOrLimit(c: Container, name: string): unknown {
  const req = c.resources?.requests;
  if (req && Object.prototype.hasOwnProperty.call(req, name)) return req[name];
  // The API server defaults a missing request to the limit.
  const lim = c.resources?.limits;
  if (lim && Object.prototype.hasOwnProperty.call(lim, name)) return lim[name];
  return undefined;
}

function containerNonZero(c: Container): CpuMemory {
  const cpu = requestOrLimit(c, 'cpu');
  const mem = requestOrLimit(c, 'memory');
  return {
    milliCPU: cpu === undefined ? DEFAULT_MILLI_CPU_REQUEST : milli(cpu),
    memory: mem === undefined ? DEFAULT_MEMORY_REQUEST : whole(mem),
  };
}

/** The pod's requests with the scoring defaults for cpu and memory left unset. */
export function podNonZeroRequests(pod: KubeObject): CpuMemory {
  const spec = (pod.spec ?? {}) as {
    containers?: Container[];
    initContainers?: Container[];
    overhead?: ResourceList;
  };
  let cpu = 0;
  let mem = 0;
  for (const c of spec.containers ?? []) {
    const r = containerNonZero(c);
    cpu += r.milliCPU;
    mem += r.memory;
  }
  let sidecarCPU = 0;
  let sidecarMem = 0;
  let initCPU = 0;
  let initMem = 0;
  for (const c of spec.initContainers ?? []) {
    const r = containerNonZero(c);
    if (c.restartPolicy === 'Always') {
      sidecarCPU += r.milliCPU;
      sidecarMem += r.memory;
      initCPU = Math.max(initCPU, sidecarCPU);
      initMem = Math.max(initMem, sidecarMem);
    } else {
      initCPU = Math.max(initCPU, r.milliCPU + sidecarCPU);
      initMem = Math.max(initMem, r.memory + sidecarMem);
    }
  }
  cpu = Math.max(cpu + sidecarCPU, initCPU);
  mem = Math.max(mem + sidecarMem, initMem);
  const overhead = spec.overhead;
  if (overhead) {
    if (overhead.cpu !== undefined) cpu += milli(overhead.cpu);
    if (overhead.memory !== undefined) mem += whole(overhead.memory);
  }
  return { milliCPU: cpu, memory: mem };
}

/** A pod as the scheduler counts it on a node: its requests, worked out once. */
export function podInfo(pod: KubeObject): PodInfo {
  return { pod, requests: podRequests(pod), nonZero: podNonZeroRequests(pod) };
}
