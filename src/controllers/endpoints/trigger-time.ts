import type { KubeObject } from '../../api/index.ts';
import { readyTransitionTime } from './pods.ts';

// Kubernetes' TriggerTimeTracker: the time of the earliest change that this sync of a
// service's endpoints accounts for, written as endpoints.kubernetes.io/last-change-
// trigger-time so that the latency from a pod change to a programmed proxy can be
// measured. A pod's trigger time is when its Ready condition last changed; the service's
// is its creation. One tracker per controller; a service's state is only touched by the
// one worker syncing it.

interface ServiceState {
  podTimes: Map<string, number>;
  serviceTime: number;
}

export class TriggerTimeTracker {
  readonly #states = new Map<string, ServiceState>();

  /**
   * The earliest trigger time that changed since the last call for this service, 0 when
   * none did; the creation time of a service seen for the first time. Always records
   * the current times, even if the caller then writes nothing.
   */
  compute(key: string, service: KubeObject, pods: KubeObject[]): number {
    const previous = this.#states.get(key);
    let earliest = 0;
    const changed = (t: number) => {
      if (earliest === 0 || t < earliest) earliest = t;
    };
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = readyTransitionTime(pod);
      if (t === 0) continue;
      const name = pod.metadata?.name ?? '';
      podTimes.set(name, t);
      if (t > (previous?.podTimes.get(name) ?? 0)) changed(t);
    }
    const serviceTime = Date.parse(service.metadata?.creationTimestamp ?? '') || 0;
    if (serviceTime > (previous?.serviceTime ?? 0)) changed(serviceTime);
    this.#states.set(key, { podTimes, serviceTime });
    return previous ? earliest : serviceTime;
  }

  deleteService(key: string): void {
    this.#states.delete(key);
  }
}
