import type { KubeObject } from '../../api/index.ts';
import {
  selectorFromSpec,
  SelectorParseError,
  type LabelSelector,
  type LabelSelectorSpec,
} from '../../api/selectors/index.ts';
import type { ResourceRef } from '../../client/index.ts';

// The two kinds one controller serves, as kube-controller-manager's replicaset package
// serves apps/v1 ReplicaSet and (through conversion) core/v1 ReplicationController. The
// only differences that matter here are where they live, how their selector is written
// (a LabelSelector, or a plain map) and the name the controller records events under.

export type ReplicaSetKind = 'ReplicaSet' | 'ReplicationController';

export interface KindInfo {
  kind: ReplicaSetKind;
  apiVersion: string;
  ref: ResourceRef;
  /** The event source, as kube-controller-manager names each controller. */
  component: string;
}

export const KINDS: Record<ReplicaSetKind, KindInfo> = {
  ReplicaSet: {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    ref: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
    component: 'replicaset-controller',
  },
  ReplicationController: {
    kind: 'ReplicationController',
    apiVersion: 'v1',
    ref: { group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true },
    component: 'replication-controller',
  },
};

/** The pod template of either kind (optional on a ReplicationController). */
export interface PodTemplate {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
}

export interface ReplicaSetSpec {
  /** Defaulted to 1 by the API server. */
  replicas: number;
  minReadySeconds: number;
  template: PodTemplate;
}

export function specOf(owner: KubeObject): ReplicaSetSpec {
  const spec = (owner.spec ?? {}) as {
    replicas?: number;
    minReadySeconds?: number;
    template?: PodTemplate | null;
  };
  return {
    replicas: spec.replicas ?? 1,
    minReadySeconds: spec.minReadySeconds ?? 0,
    template: spec.template ?? {},
  };
}

/**
 * The owner's pod selector: a ReplicaSet's LabelSelector (matchLabels and
 * matchExpressions), or a ReplicationController's map of labels. Undefined when there is
 * none or it cannot be parsed; then the owner selects no pods.
 */
export function podSelector(owner: KubeObject, kind: ReplicaSetKind): LabelSelector | undefined {
  const raw = (owner.spec as { selector?: unknown } | undefined)?.selector;
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const spec: LabelSelectorSpec =
    kind === 'ReplicationController'
      ? { matchLabels: raw as Record<string, string> }
      : (raw as LabelSelectorSpec);
  try {
    return selectorFromSpec(spec);
  } catch (err) {
    if (err instanceof SelectorParseError) return undefined;
    throw err;
  }
}
