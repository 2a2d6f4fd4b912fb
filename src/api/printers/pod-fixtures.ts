// Pod builders shared by the pod printer tests.

import type { KubeObject } from '../types.ts';

export const now = new Date('2025-01-15T12:00:00Z');
export const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

export const running = (startedSecondsAgo = 3600) => ({
  running: { startedAt: ago(startedSecondsAgo) },
});
export const terminated = (exitCode: number, reason?: string, extra: object = {}) => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), finishedAt: ago(30), ...extra },
});
export const waiting = (reason: string) => ({ waiting: { reason } });
export const lastTerminated = (secondsAgo: number) => ({
  terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(secondsAgo) },
});
export const cond = (type: string, status: string, reason?: string) => ({
  type,
  status,
  ...(reason ? { reason } : {}),
});

export function pod(spec: object, status: object, metadata: object = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', creationTimestamp: ago(3600), ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
    status,
  };
}

export const twoContainers = { containers: [{ name: 'app' }, { name: 'log' }] };
export const oneInit = { initContainers: [{ name: 'migrate' }] };

/** [title, pod, READY, STATUS, RESTARTS] */
export type PodCase = [string, KubeObject, string, string, string];
