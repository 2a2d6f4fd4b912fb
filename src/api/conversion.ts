import type { KubeObject } from './types.ts';

// Resources served in two versions are stored once, in their storage version, and
// converted on the way in and out, as kube-apiserver does: core/v1 Events are the storage
// form of events.k8s.io/v1 Events, autoscaling/v2 HPAs that of autoscaling/v1 ones.

export interface Conversion {
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

type Json = Record<string, unknown>;

function rename(obj: Json, pairs: [string, string][], apiVersion: string): Json {
  const out: Json = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

// events.k8s.io/v1 field ↔ core/v1 field
const EVENT_FIELDS: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];
const swapped = (pairs: [string, string][]) => pairs.map(([a, b]) => [b, a] as [string, string]);

export const EVENTS_V1_CONVERSION: Conversion = {
  toStorage: (obj) => rename(obj, EVENT_FIELDS, 'v1') as KubeObject,
  fromStorage: (obj) => rename(obj, swapped(EVENT_FIELDS), 'events.k8s.io/v1') as KubeObject,
};

const HPA_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const HPA_CURRENT_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const HPA_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

interface Metric {
  type?: string;
  resource?: {
    name?: string;
    target?: { type?: string; averageUtilization?: number };
    current?: { averageUtilization?: number };
  };
}

export const HPA_V1_CONVERSION: Conversion = {
  // autoscaling/v1 → v2: the CPU target becomes a Resource metric; other metrics come
  // back from the annotations v1 keeps them in.
  toStorage(obj) {
    const spec = { ...((obj.spec as Json) ?? {}) };
    const status = { ...((obj.status as Json) ?? {}) };
    const annotations = { ...(obj.metadata?.annotations ?? {}) };
    const metrics: Metric[] = parseList(annotations[HPA_METRICS_ANNOTATION]);
    delete annotations[HPA_METRICS_ANNOTATION];
    const cpu = spec.targetCPUUtilizationPercentage;
    delete spec.targetCPUUtilizationPercentage;
    if (typeof cpu === 'number') {
      metrics.unshift({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } },
      });
    }
    if (metrics.length > 0) spec.metrics = metrics;
    const current: Metric[] = parseList(annotations[HPA_CURRENT_ANNOTATION]);
    delete annotations[HPA_CURRENT_ANNOTATION];
    const currentCpu = status.currentCPUUtilizationPercentage;
    delete status.currentCPUUtilizationPercentage;
    if (typeof currentCpu === 'number') {
      current.unshift({
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: currentCpu } },
      });
    }
    if (current.length > 0) status.currentMetrics = current;
    const conditions = parseList(annotations[HPA_CONDITIONS_ANNOTATION]);
    delete annotations[HPA_CONDITIONS_ANNOTATION];
    if (conditions.length > 0) status.conditions = conditions;
    const { annotations: _old, ...rest } = obj.metadata ?? {};
    const metadata = Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest;
    return {
      ...obj,
      apiVersion: 'autoscaling/v2',
      metadata,
      spec,
      ...(obj.status ? { status } : {}),
    };
  },
  fromStorage(obj) {
    const spec = { ...((obj.spec as Json) ?? {}) };
    const status = { ...((obj.status as Json) ?? {}) };
    const annotations = { ...(obj.metadata?.annotations ?? {}) };
    const metrics = (spec.metrics as Metric[] | undefined) ?? [];
    delete spec.metrics;
    delete spec.behavior;
    const isCpu = (m: Metric) =>
      m.type === 'Resource' &&
      m.resource?.name === 'cpu' &&
      m.resource.target?.type === 'Utilization';
    const cpu = metrics.find(isCpu);
    if (cpu) spec.targetCPUUtilizationPercentage = cpu.resource!.target!.averageUtilization;
    const others = metrics.filter((m) => m !== cpu);
    if (others.length > 0) annotations[HPA_METRICS_ANNOTATION] = JSON.stringify(others);
    const current = (status.currentMetrics as Metric[] | undefined) ?? [];
    delete status.currentMetrics;
    const currentCpu = current.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    if (currentCpu?.resource?.current?.averageUtilization !== undefined) {
      status.currentCPUUtilizationPercentage = currentCpu.resource.current.averageUtilization;
    }
    const otherCurrent = current.filter((m) => m !== currentCpu);
    if (otherCurrent.length > 0) annotations[HPA_CURRENT_ANNOTATION] = JSON.stringify(otherCurrent);
    if (Array.isArray(status.conditions) && status.conditions.length > 0) {
      annotations[HPA_CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
    }
    delete status.conditions;
    const metadata = {
      ...obj.metadata,
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    return {
      ...obj,
      apiVersion: 'autoscaling/v1',
      metadata,
      spec,
      ...(obj.status ? { status } : {}),
    };
  },
};

function parseList(raw: string | undefined): Metric[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? (v as Metric[]) : [];
  } catch {
    return [];
  }
}
