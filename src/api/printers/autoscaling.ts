// autoscaling horizontalpodautoscalers. The printer reads the v2 shape; autoscaling/v1
// objects (targetCPUUtilizationPercentage) are first mapped as the API server converts them.

import type { KubeObject, Printer } from '../types.ts';
import { age, ageCol, col, nameCol } from './columns.ts';
import { type Json, isRecord, isSet, nameOf, optInt, rec, recs, str } from './fields.ts';
import { formatQuantity } from './quantity.ts';

// The API server's default target when an HPA names no metric.
const DEFAULT_CPU_UTILIZATION = 80;

function cpuUtilization(field: 'target' | 'current', percent: number): Json {
  return { type: 'Resource', resource: { name: 'cpu', [field]: { averageUtilization: percent } } };
}

function specMetrics(spec: Json): Json[] {
  let metrics = recs(spec.metrics);
  const v1Target = optInt(spec.targetCPUUtilizationPercentage);
  if (!Array.isArray(spec.metrics) && v1Target !== undefined) {
    metrics = [cpuUtilization('target', v1Target)];
  }
  return metrics.length > 0 ? metrics : [cpuUtilization('target', DEFAULT_CPU_UTILIZATION)];
}

function statusMetrics(status: Json): Json[] {
  const v1Current = optInt(status.currentCPUUtilizationPercentage);
  if (!Array.isArray(status.currentMetrics) && v1Current !== undefined) {
    return [cpuUtilization('current', v1Current)];
  }
  return recs(status.currentMetrics);
}

/** A *Quantity field: `<nil>` when unset, as Go's Quantity.String prints a nil pointer. */
function qty(value: unknown): string {
  return formatQuantity(value, '<nil>');
}

function percent(value: unknown): string | undefined {
  const n = optInt(value);
  return n === undefined ? undefined : `${n}%`;
}

/** One TARGETS entry: `current/target`, prefixed by the resource name for resource metrics. */
function formatMetric(spec: Json, status: Json | undefined): string {
  switch (spec.type) {
    case 'External':
    case 'Object': {
      const key = spec.type === 'External' ? 'external' : 'object';
      const target = rec(rec(spec[key]).target);
      const current = status && isRecord(status[key]) ? rec(rec(status[key]).current) : undefined;
      if (isSet(target.averageValue)) {
        const now =
          current && isSet(current.averageValue) ? qty(current.averageValue) : '<unknown>';
        return `${now}/${qty(target.averageValue)} (avg)`;
      }
      return `${current ? qty(current.value) : '<unknown>'}/${qty(target.value)}`;
    }
    case 'Pods': {
      const target = rec(rec(spec.pods).target);
      const current =
        status && isRecord(status.pods) ? qty(rec(status.pods.current).averageValue) : '<unknown>';
      return `${current}/${qty(target.averageValue)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
      const source = rec(spec[key]);
      const target = rec(source.target);
      const current = status && isRecord(status[key]) ? rec(rec(status[key]).current) : undefined;
      const name = str(source.name);
      if (isSet(target.averageValue)) {
        return `${name}: ${current ? qty(current.averageValue) : '<unknown>'}/${qty(target.averageValue)}`;
      }
      const now = (current && percent(current.averageUtilization)) ?? '<unknown>';
      return `${name}: ${now}/${percent(target.averageUtilization) ?? '<auto>'}`;
    }
    default:
      return '<unknown type>';
  }
}

/** TARGETS: the first two metrics, then `+ N more...`. */
export function formatHPAMetrics(obj: KubeObject): string {
  const specs = specMetrics(rec(obj.spec));
  const statuses = statusMetrics(rec(obj.status));
  const max = 2;
  const shown = specs.slice(0, max).map((m, i) => formatMetric(m, statuses[i]));
  const text = shown.join(', ');
  return specs.length > max ? `${text} + ${specs.length - max} more...` : text;
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    nameCol(),
    col('Reference', 'string', 'The target resource to scale, as kind/name.'),
    col('Targets', 'string', 'Current and target values of the metrics used to compute replicas.'),
    col('MinPods', 'string', 'The lower limit for the number of replicas.'),
    col('MaxPods', 'string', 'The upper limit for the number of replicas.'),
    col('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    ageCol(),
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const ref = rec(spec.scaleTargetRef);
    // minReplicas defaults to 1.
    const min = optInt(spec.minReplicas) ?? 1;
    return [
      nameOf(obj),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHPAMetrics(obj),
      `${min}`,
      optInt(spec.maxReplicas) ?? 0,
      optInt(rec(obj.status).currentReplicas) ?? 0,
      age(obj, now),
    ];
  },
};
