import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENTS_V1_CONVERSION, HPA_V1_CONVERSION } from './conversion.ts';
import type { KubeObject } from './types.ts';

describe('conversion between served versions', () => {
  it('maps events.k8s.io/v1 Events onto stored core/v1 Events and back', () => {
    const modern: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      regarding: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      note: 'Pulled image',
      reason: 'Pulled',
      type: 'Normal',
      reportingController: 'wharf/agent',
      reportingInstance: 'node-a',
      eventTime: '2026-01-01T00:00:00.000000Z',
      action: 'Pull',
      deprecatedCount: 3,
    };
    const stored = EVENTS_V1_CONVERSION.toStorage(modern);
    assert.equal(stored.apiVersion, 'v1');
    assert.deepEqual(stored.involvedObject, modern.regarding);
    assert.equal(stored.message, 'Pulled image');
    assert.equal(stored.reportingComponent, 'wharf/agent');
    assert.equal(stored.count, 3);
    assert.equal(stored.note, undefined);
    assert.deepEqual(EVENTS_V1_CONVERSION.fromStorage(stored), modern);
  });

  it('maps autoscaling/v1 HPAs onto stored v2 HPAs and back', () => {
    const v1: KubeObject = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 1,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 70,
      },
      status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 85 },
    };
    const v2 = HPA_V1_CONVERSION.toStorage(v1);
    assert.equal(v2.apiVersion, 'autoscaling/v2');
    assert.deepEqual((v2.spec as { metrics: unknown }).metrics, [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    assert.deepEqual(HPA_V1_CONVERSION.fromStorage(v2), v1);
  });

  it('keeps v2-only metrics in the annotation v1 clients carry them in', () => {
    const v2: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        maxReplicas: 4,
        metrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
          },
        ],
      },
    };
    const v1 = HPA_V1_CONVERSION.fromStorage(v2);
    assert.ok(v1.metadata?.annotations?.['autoscaling.alpha.kubernetes.io/metrics']);
    assert.deepEqual(HPA_V1_CONVERSION.toStorage(v1), v2);
  });
});
