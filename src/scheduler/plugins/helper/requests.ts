import type { KubeObject } from '../../../api/index.ts';
import { milliValue, quantityValue, tryParseQuantity } from '../../../api/index.ts';
import type { NodeInfo, PodInfo, Resources } from '../../framework/index.ts';
import { podSpec, type Container } from './spec.ts';

// The requests kube-scheduler *scores* with (never filters with): a container that names
// no cpu or memory request counts as asking for 100m cpu and 200Mi memory
// (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest), so that pods without
// requests still spread out. Aggregated like podRequests: app containers and sidecars
// summed, then the max with each init container, plus overhead (not defaulted).

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface CpuMemory {
  milliCPU: number;
  memory: number;
}

function lookup(c: Container, name: string): unknown {
  const req = c.resources?.requests;
  if (req && Object.prototype.hasOwnProperty.call(req, name)) return req[name];
  // The API server defaults a missing request to the limit.
  const lim = c.resources?.limits;
  if (lim && Object.prototype.hasOwnProperty.call(lim, name)) return lim[name];
  return undefined;
}

function cpuOf(v: unknown): number {
  const q = tryParseQuantity(v);
  return q ? Number(milliValue(q)) : 0;
}

function bytesOf(v: unknown): number {
  const q = tryParseQuantity(v);
  return q ? Number(quantityValue(q)) : 0;
}

function containerNonZero(c: Container): CpuMemory {
  const cpu = lookup(c, 'cpu');
  const mem = lookup(c, 'memory');
  return {
    milliCPU: cpu === undefined ? DEFAULT_MILLI_CPU_REQUEST : cpuOf(cpu),
    memory: mem === undefined ? DEFAULT_MEMORY_REQUEST : bytesOf(mem),
  };
}

function computeNonZero(pod: KubeObject): CpuMemory {
  const spec = podSpec(pod);
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
  if (spec.overhead) {
    if (spec.overhead.cpu !== undefined) cpu += cpuOf(spec.overhead.cpu);
    if (spec.overhead.memory !== undefined) mem += bytesOf(spec.overhead.memory);
  }
  return { milliCPU: cpu, memory: mem };
}

// Pod objects are never mutated once handed to the scheduler, so results are kept by
// identity.
const podCache = new WeakMap<KubeObject, CpuMemory>();

export function nonZeroRequests(pod: KubeObject): CpuMemory {
  let r = podCache.get(pod);
  if (!r) {
    r = computeNonZero(pod);
    podCache.set(pod, r);
  }
  return r;
}

interface NodeEntry {
  pods: PodInfo[];
  count: number;
  requested: Resources;
  value: CpuMemory;
}

// The cache updates NodeInfo in place (pushes onto `pods`, replaces `requested`), so an
// entry is reused only while the pod list and the requested sum are the very same.
const nodeCache = new WeakMap<NodeInfo, NodeEntry>();

/** NodeInfo.NonZeroRequested: the non-zero requests of the pods on the node. */
export function nodeNonZeroRequested(node: NodeInfo): CpuMemory {
  const e = nodeCache.get(node);
  if (e && e.pods === node.pods && e.count === node.pods.length && e.requested === node.requested) {
    return e.value;
  }
  let cpu = 0;
  let mem = 0;
  for (const p of node.pods) {
    const r = nonZeroRequests(p.pod);
    cpu += r.milliCPU;
    mem += r.memory;
  }
  const value = { milliCPU: cpu, memory: mem };
  nodeCache.set(node, {
    pods: node.pods,
    count: node.pods.length,
    requested: node.requested,
    value,
  });
  return value;
}

/**
 * schedutil.IsScalarResourceName: extended resources (`example.com/gpu`), prefixed native
 * ones (`kubernetes.io/…`), hugepages and attachable volumes. Anything else (an unknown
 * bare name) is not compared.
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('requests.')) return false;
  return (
    name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')
  );
}
