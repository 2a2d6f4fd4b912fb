import { addResources, emptyResources } from './resources.ts';
import type { NodeInfo, PodInfo } from './types.ts';

/** `node` as it would be holding exactly `pods` (requests and host ports recomputed). */
export function nodeWithPods(node: NodeInfo, pods: PodInfo[]): NodeInfo {
  let requested = emptyResources();
  const nonZeroRequested = { milliCPU: 0, memory: 0 };
  const usedHostPorts = new Set<string>();
  for (const p of pods) {
    requested = addResources(requested, p.requests);
    nonZeroRequested.milliCPU += p.nonZero.milliCPU;
    nonZeroRequested.memory += p.nonZero.memory;
    const spec = (p.pod.spec ?? {}) as {
      containers?: { ports?: { hostPort?: number; hostIP?: string; protocol?: string }[] }[];
    };
    for (const c of spec.containers ?? []) {
      for (const port of c.ports ?? []) {
        if (port.hostPort)
          usedHostPorts.add(
            `${port.protocol ?? 'TCP'}/${port.hostIP || '0.0.0.0'}/${port.hostPort}`,
          );
      }
    }
  }
  return { ...node, pods, requested, nonZeroRequested, usedHostPorts };
}
