import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/index.ts';
import { SchedulerCache } from './cache.ts';

// The cache's accounting of what pods hold on a node: requests and host ports, through
// assume, confirm and removal.

function pod(uid: string, hostPort?: number): KubeObject {
  return {
    metadata: { name: uid, namespace: 'default', uid },
    spec: {
      containers: [
        {
          name: 'c',
          resources: { requests: { cpu: '250m', memory: '64Mi' } },
          ...(hostPort ? { ports: [{ containerPort: 80, hostPort }] } : {}),
        },
      ],
    },
  };
}

function bound(p: KubeObject, node: string): KubeObject {
  return { ...p, spec: { ...(p.spec as object), nodeName: node } };
}

function nodeOf(cache: SchedulerCache, name: string) {
  return cache.snapshot().get(name)!;
}

describe('SchedulerCache', () => {
  const node = {
    metadata: { name: 'n1' },
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
  };

  it('keeps a host port taken while another pod on the node still uses it', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node);
    cache.upsertAssignedPod(bound(pod('a', 8080), 'n1'));
    cache.upsertAssignedPod(bound(pod('b', 8080), 'n1'));
    cache.upsertAssignedPod(bound(pod('c'), 'n1'));
    cache.removePod(pod('c'));
    assert.ok(nodeOf(cache, 'n1').usedHostPorts.has('TCP/0.0.0.0/8080'));
    cache.removePod(pod('a'));
    assert.ok(nodeOf(cache, 'n1').usedHostPorts.has('TCP/0.0.0.0/8080'));
    cache.removePod(pod('b'));
    assert.equal(nodeOf(cache, 'n1').usedHostPorts.size, 0);
  });

  it('counts an assumed pod once, and once again after its binding is confirmed', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node);
    cache.assume(pod('a', 9000), 'n1');
    assert.equal(nodeOf(cache, 'n1').requested.milliCPU, 250);
    cache.upsertAssignedPod(bound(pod('a', 9000), 'n1'));
    const n1 = nodeOf(cache, 'n1');
    assert.equal(n1.pods.length, 1);
    assert.equal(n1.requested.milliCPU, 250);
    assert.ok(n1.usedHostPorts.has('TCP/0.0.0.0/9000'));
  });

  it('keeps the non-zero (scoring) requests of the node in step with its pods', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node);
    const noRequests: KubeObject = {
      metadata: { name: 'z', namespace: 'default', uid: 'z' },
      spec: { containers: [{ name: 'c' }] },
    };
    cache.assume(pod('a'), 'n1');
    cache.assume(noRequests, 'n1');
    // 250m + the 100m default; 64Mi + the 200Mi default.
    assert.deepEqual(nodeOf(cache, 'n1').nonZeroRequested, {
      milliCPU: 350,
      memory: 264 * 1024 * 1024,
    });
    cache.upsertAssignedPod(bound(pod('a'), 'n1'));
    assert.equal(nodeOf(cache, 'n1').nonZeroRequested.milliCPU, 350);
    cache.removePod(pod('a'));
    assert.deepEqual(nodeOf(cache, 'n1').nonZeroRequested, {
      milliCPU: 100,
      memory: 200 * 1024 * 1024,
    });
    cache.forget(noRequests);
    assert.deepEqual(nodeOf(cache, 'n1').nonZeroRequested, { milliCPU: 0, memory: 0 });
  });

  it('gives back what a pod held when its assumption is forgotten', () => {
    const cache = new SchedulerCache();
    cache.upsertNode(node);
    cache.assume(pod('a', 9000), 'n1');
    cache.forget(pod('a'));
    const n1 = nodeOf(cache, 'n1');
    assert.equal(n1.pods.length, 0);
    assert.equal(n1.requested.milliCPU, 0);
    assert.equal(n1.usedHostPorts.size, 0);
  });
});
