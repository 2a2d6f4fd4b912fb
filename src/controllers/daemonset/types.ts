import type { KubeObject, OwnerReference } from '../../api/index.ts';
import {
  selectorFromSpec,
  SelectorParseError,
  type LabelSelector,
  type LabelSelectorSpec,
} from '../../api/selectors/index.ts';
import type { ResourceRef } from '../../client/index.ts';

// The resources the DaemonSet controller reads and writes, and the parts of a DaemonSet
// (apps/v1) it decides by. Objects come from the API as JSON, so every field is optional;
// the API server has already applied the defaults (RollingUpdate, maxUnavailable 1,
// maxSurge 0, revisionHistoryLimit 10).

export const DAEMONSETS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'daemonsets',
  namespaced: true,
};
export const CONTROLLER_REVISIONS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'controllerrevisions',
  namespaced: true,
};
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const NODES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'nodes',
  namespaced: false,
};

/** The event source, as kube-controller-manager names this controller. */
export const COMPONENT = 'daemonset-controller';
export const KIND = 'DaemonSet';
export const API_VERSION = 'apps/v1';

/** apps/v1 DefaultDaemonSetUniqueLabelKey (= ControllerRevisionHashLabelKey). */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** extensions/v1beta1 DaemonSetTemplateGenerationKey, set from the deprecated annotation. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** Most pods created or deleted in one sync (kube's BurstReplicas for DaemonSets). */
export const BURST_REPLICAS = 250;

export interface PodTemplate {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
}

export type IntOrPercent = number | string;

export interface DaemonSetSpec {
  selector?: LabelSelectorSpec | null;
  template: PodTemplate;
  updateStrategy: {
    type: 'RollingUpdate' | 'OnDelete' | (string & {});
    rollingUpdate?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent };
  };
  minReadySeconds: number;
  revisionHistoryLimit: number;
}

export function specOf(ds: KubeObject): DaemonSetSpec {
  const spec = (ds.spec ?? {}) as Partial<DaemonSetSpec> & { template?: PodTemplate | null };
  return {
    selector: spec.selector,
    template: spec.template ?? {},
    updateStrategy: spec.updateStrategy ?? { type: 'RollingUpdate' },
    minReadySeconds: spec.minReadySeconds ?? 0,
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
  };
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  [field: string]: unknown;
}

export function statusOf(ds: KubeObject): DaemonSetStatus {
  const s = (ds.status ?? {}) as Partial<DaemonSetStatus>;
  return {
    ...s,
    currentNumberScheduled: s.currentNumberScheduled ?? 0,
    numberMisscheduled: s.numberMisscheduled ?? 0,
    desiredNumberScheduled: s.desiredNumberScheduled ?? 0,
    numberReady: s.numberReady ?? 0,
  };
}

/**
 * The DaemonSet's pod selector; undefined when it is missing or does not parse (then it
 * selects nothing). An empty selector parses to `[]`, which selects everything.
 */
export function podSelector(ds: KubeObject): LabelSelector | undefined {
  const raw = specOf(ds).selector;
  if (!raw || typeof raw !== 'object') return undefined;
  try {
    return selectorFromSpec(raw);
  } catch (err) {
    if (err instanceof SelectorParseError) return undefined;
    throw err;
  }
}

/** util.GetTemplateGeneration: the deprecated annotation, if it holds an integer. */
export function templateGeneration(ds: KubeObject): string | undefined {
  const value = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  return value !== undefined && /^-?\d+$/.test(value) ? String(BigInt(value)) : undefined;
}

/** metav1.GetControllerOf: the owner reference with `controller: true`. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef(ds, DaemonSet). */
export function newControllerRef(ds: KubeObject): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: ds.metadata?.name ?? '',
    uid: ds.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
