import type { KubeObject } from '../../api/index.ts';
import { milliValue, quantityValue, tryParseQuantity } from '../../api/index.ts';
import type { Resources } from './types.ts';

// Resource arithmetic as kube-scheduler does it: a pod's effective request is the larger
// of its biggest init container and the sum of its app containers (sidecar init containers,
// restartPolicy Always, count towards the sum), plus pod overhead; every pod counts one
// against the node's `pods` allocatable.

type ResourceList = Record<string, unknown> | undefined;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: {} };
}

function milli(v: unknown): number {
  const q = tryParseQuantity(v);
  return q ? Number(milliValue(q)) : 0;
}

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
