import type { KubeObject } from '../../api/index.ts';
import { computeHash } from './hash.ts';
import { iso, NOW } from './test-support.ts';
import type { PodTemplate } from './types.ts';

// Builders of Deployments, ReplicaSets and pods for this folder's tests (not exported
// from index.ts).

export const LABELS = { app: 'web' };

export function podTemplate(image: string, labels: Record<string, string> = LABELS): PodTemplate {
  return {
    metadata: { labels: { ...labels } },
    spec: { containers: [{ name: 'c', image, command: ['sleep', '9'] }] },
  };
}

export interface DeploymentOptions {
  replicas?: number;
  image?: string;
  strategy?: Record<string, unknown>;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  generation?: number;
  annotations?: Record<string, string>;
  status?: Record<string, unknown>;
  selector?: unknown;
}

export function deployment(name: string, opts: DeploymentOptions = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      generation: opts.generation ?? 1,
      resourceVersion: '10',
      creationTimestamp: iso(NOW - 7_200_000),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: opts.selector ?? { matchLabels: { ...LABELS } },
      template: podTemplate(opts.image ?? 'v1'),
      strategy: opts.strategy ?? {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      revisionHistoryLimit: opts.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      ...(opts.paused ? { paused: true } : {}),
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
    },
    status: opts.status ?? {},
  };
}

export interface ReplicaSetOptions {
  image?: string;
  replicas?: number;
  /** status.replicas; default: replicas. */
  actual?: number;
  /** status.readyReplicas and availableReplicas; default: replicas. */
  available?: number;
  revision?: number;
  /** Minutes before NOW it was created; default 60. */
  age?: number;
  desired?: number;
  max?: number;
  owner?: KubeObject | null;
  annotations?: Record<string, string>;
}

/** A ReplicaSet of `d` running the template with `image`, named `<d>-<hash>`. */
export function replicaSet(d: KubeObject, opts: ReplicaSetOptions = {}): KubeObject {
  const template = podTemplate(opts.image ?? 'v1');
  const hash = computeHash(template);
  template.metadata!.labels!['pod-template-hash'] = hash;
  const replicas = opts.replicas ?? 0;
  const owner = opts.owner === undefined ? d : opts.owner;
  const annotations: Record<string, string> = { ...opts.annotations };
  if (opts.revision !== undefined)
    annotations['deployment.kubernetes.io/revision'] = `${opts.revision}`;
  if (opts.desired !== undefined)
    annotations['deployment.kubernetes.io/desired-replicas'] = `${opts.desired}`;
  if (opts.max !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = `${opts.max}`;
  const available = opts.available ?? replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata!.name}-${hash}`,
      namespace: 'ns',
      uid: `uid-rs-${opts.image ?? 'v1'}`,
      generation: 1,
      resourceVersion: '20',
      creationTimestamp: iso(NOW - (opts.age ?? 60) * 60_000),
      labels: { ...template.metadata!.labels },
      annotations,
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: owner.metadata!.name!,
                uid: owner.metadata!.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...template.metadata!.labels } },
      template,
    },
    status: {
      replicas: opts.actual ?? replicas,
      readyReplicas: available,
      availableReplicas: available,
      observedGeneration: 1,
    },
  };
}

/** A pod of `rs`, in `phase`. */
export function pod(name: string, rs: KubeObject, phase = 'Running'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: { ...(rs.spec as { template: PodTemplate }).template.metadata!.labels },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata!.name!,
          uid: rs.metadata!.uid!,
          controller: true,
        },
      ],
    },
    status: { phase },
  };
}
